//! [`Task`]: what a run answers — a conversation (system, user and assistant turns, ending with
//! the user's question) and how its answer is recognised.
//!
//! A task is a conversation because the people who ask questions ask them inside one: a follow-up
//! ("and in French?") only means something after the turns before it. Strategies that send the
//! conversation on send all of it; strategies that write their own prompts (judges, tree search,
//! critiques, selectors) quote it with [`Task::transcript`]. A bare question is the common case,
//! so `{"question": "…"}` (and [`Task::new`]) still reads as a one-turn conversation.

use serde::{Deserialize, Serialize};

use crate::answer::Extractor;
use crate::error::{Error, Result};
use crate::model::{Message, Role};

/// A question for a run, inside its conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", try_from = "TaskInput")]
pub struct Task {
    /// The conversation, oldest turn first; the last turn is the user's question.
    pub messages: Vec<Message>,
    /// How the final answer is found in a completion. Default [`Extractor::Auto`].
    #[serde(default)]
    pub extractor: Extractor,
    /// Replaces the extractor's own instruction on how to state the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
}

/// The shapes a task is read from: a conversation, or a question with an optional system prompt.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TaskInput {
    #[serde(default)]
    messages: Option<Vec<Message>>,
    #[serde(default)]
    question: Option<String>,
    #[serde(default)]
    system: Option<String>,
    #[serde(default)]
    extractor: Extractor,
    #[serde(default)]
    instruction: Option<String>,
}

impl TryFrom<TaskInput> for Task {
    type Error = String;

    fn try_from(input: TaskInput) -> std::result::Result<Self, String> {
        let task = match (input.messages, input.question) {
            (Some(_), Some(_)) => {
                return Err("task: give `messages` or `question`, not both".to_owned());
            }
            (Some(messages), None) => Task::conversation(messages),
            (None, Some(question)) => Task::new(question),
            (None, None) => return Err("task: needs `messages` or a `question`".to_owned()),
        };
        let task = match input.system {
            Some(system) => task.system(system),
            None => task,
        };
        Ok(Self { extractor: input.extractor, instruction: input.instruction, ..task })
    }
}

impl Task {
    /// A one-turn conversation: `question` from the user, with the automatic extractor.
    pub fn new(question: impl Into<String>) -> Self {
        Self::conversation(vec![Message::user(question)])
    }

    /// A conversation, oldest turn first, ending with the user's question (checked by
    /// [`validate`](Self::validate), which every run calls first).
    pub fn conversation(messages: Vec<Message>) -> Self {
        Self { messages, extractor: Extractor::Auto, instruction: None }
    }

    /// Sets the system prompt: replaces a leading system turn, or adds one.
    pub fn system(mut self, system: impl Into<String>) -> Self {
        match self.messages.first_mut() {
            Some(first) if first.role == Role::System => first.content = system.into(),
            _ => self.messages.insert(0, Message::system(system)),
        }
        self
    }
    /// Sets the extractor.
    pub fn extractor(mut self, extractor: Extractor) -> Self {
        self.extractor = extractor;
        self
    }
    /// Sets the answer-format instruction.
    pub fn instruction(mut self, instruction: impl Into<String>) -> Self {
        self.instruction = Some(instruction.into());
        self
    }

    /// Checks the conversation: at least one turn, the last one the user's and not empty.
    pub fn validate(&self) -> Result<()> {
        let Some((last, _)) = self.messages.split_last() else {
            return Err(Error::config(
                "task.messages",
                "is empty: a conversation needs at least the user's question",
            ));
        };
        let at = self.messages.len() - 1;
        if last.role != Role::User {
            return Err(Error::config(
                format!("task.messages[{at}].role"),
                format!(
                    "is `{}`: a conversation must end with the user's turn (the question to answer)",
                    last.role.name()
                ),
            ));
        }
        if last.content.trim().is_empty() {
            let field = if self.messages.len() == 1 {
                "task.question".to_owned()
            } else {
                format!("task.messages[{at}].content")
            };
            return Err(Error::config(field, "must not be empty"));
        }
        Ok(())
    }

    /// The question: the text of the last (user) turn.
    pub fn question(&self) -> &str {
        self.messages.last().map_or("", |m| m.content.as_str())
    }

    /// The turns before the question.
    pub fn history(&self) -> &[Message] {
        self.messages.split_last().map_or(&[], |(_, earlier)| earlier)
    }

    /// The question as a prompt that a strategy writes itself (a judge's, a critique's, a
    /// selector's) quotes it: the question alone when no user or assistant turn comes before it,
    /// else the conversation as a transcript that ends with the question. System turns are the
    /// asking model's instructions and are left out, as they always were for a lone question.
    pub fn transcript(&self) -> String {
        let mut history = self.history().iter().filter(|m| m.role != Role::System).peekable();
        if history.peek().is_none() {
            return self.question().to_owned();
        }
        let mut out = String::from("(A conversation; answer its last message.)\n");
        for turn in history {
            out.push_str(&format!("\n{}: {}\n", turn.role.title(), turn.content.trim_end()));
        }
        out.push_str(&format!("\nUser: {}", self.question()));
        out
    }

    pub(crate) fn format_instruction(&self) -> &str {
        self.instruction.as_deref().unwrap_or_else(|| self.extractor.instruction())
    }

    /// The conversation with `suffix` appended to the question, and `exemplars` (turn pairs) put
    /// after the leading system turns: the messages a strategy sends.
    pub(crate) fn asking(&self, exemplars: Vec<Message>, suffix: &str) -> Vec<Message> {
        let lead = self.messages.iter().take_while(|m| m.role == Role::System).count();
        let mut messages: Vec<Message> = self.messages.iter().take(lead).cloned().collect();
        messages.extend(exemplars);
        messages.extend(self.history().iter().skip(lead).cloned());
        let question = format!("{}\n\n{}", self.question(), suffix);
        messages.push(Message::user(question.trim_end()));
        messages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> std::result::Result<Task, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn a_question_reads_as_a_one_turn_conversation() {
        let task = read(r#"{"question": "2+2?", "system": "Be brief."}"#).unwrap();
        assert_eq!(task.messages, [Message::system("Be brief."), Message::user("2+2?")]);
        assert_eq!(task.question(), "2+2?");
        assert_eq!(task.transcript(), "2+2?");
        let again: Task = serde_json::from_value(serde_json::to_value(&task).unwrap()).unwrap();
        assert_eq!(again, task);
    }

    #[test]
    fn bad_conversations_name_the_field() {
        let error = |json| read(json).unwrap_err();
        assert!(error(r#"{"question": "a", "messages": []}"#).contains("not both"));
        assert!(error(r#"{"extractor": {"kind": "auto"}}"#).contains("needs `messages`"));
        assert!(error(r#"{"messages": [{"role": "bot", "content": "x"}]}"#).contains("bot"));
    }

    #[test]
    fn openai_text_parts_are_read_and_other_parts_refused() {
        let error = |json| read(json).unwrap_err();
        let parts = r#"{"messages": [{"role": "user", "content": [
            {"type": "text", "text": "Look at this:"}, {"type": "text", "text": "What is 2 + 2?"}
        ]}]}"#;
        assert_eq!(read(parts).unwrap().question(), "Look at this:\nWhat is 2 + 2?");
        let image = r#"{"messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
        ]}]}"#;
        assert!(error(image).contains("only text content parts are supported, not `image_url`"));
        assert!(
            error(r#"{"messages": [{"role": "user", "content": 7}]}"#)
                .contains("expected a string or an array of { type: \"text\", text } parts")
        );
        let invalid = |task: Task| task.validate().unwrap_err().to_string();
        assert!(invalid(Task::conversation(vec![])).contains("task.messages"));
        let ends_with_answer =
            Task::conversation(vec![Message::user("hi"), Message::assistant("hello")]);
        let said = invalid(ends_with_answer);
        assert!(said.contains("task.messages[1].role") && said.contains("assistant"), "{said}");
        assert!(invalid(Task::new("  ")).contains("task.question"));
    }

    #[test]
    fn follow_ups_keep_the_turns_before_them() {
        let task = Task::conversation(vec![
            Message::system("Answer in one word."),
            Message::user("Capital of Australia?"),
            Message::assistant("Canberra"),
            Message::user("And of Japan?"),
        ]);
        let exemplar = vec![Message::user("Capital of France?"), Message::assistant("Paris")];
        let sent = task.asking(exemplar, "Think first.");
        let roles: Vec<Role> = sent.iter().map(|m| m.role).collect();
        use Role::{Assistant, System, User};
        assert_eq!(roles, [System, User, Assistant, User, Assistant, User]);
        assert_eq!(sent[5].content, "And of Japan?\n\nThink first.");
        let transcript = task.transcript();
        assert!(transcript.contains("Assistant: Canberra"), "{transcript}");
        assert!(!transcript.contains("one word"), "{transcript}");
        assert!(transcript.ends_with("User: And of Japan?"), "{transcript}");
    }
}
