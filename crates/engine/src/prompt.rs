//! The prompts strategies build from a [`Task`].
//!
//! Prompts are built here, in one place, so every strategy asks for answers in the form its
//! extractor reads: the instruction comes from the task's [`Extractor`](crate::Extractor), and
//! few-shot exemplars end with "The answer is: …" in that form. The task's conversation is kept:
//! the instruction is added to its last (user) turn.

use serde::{Deserialize, Serialize};

use crate::model::Message;
pub use crate::task::Task;

/// A worked example shown to the model before the question (few-shot prompting).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Exemplar {
    /// The example question.
    pub question: String,
    /// Its step-by-step reasoning.
    pub reasoning: String,
    /// Its final answer.
    pub answer: String,
}

/// How a chain-of-thought prompt is put together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Prompting {
    /// Worked examples (few-shot). Empty: zero-shot.
    pub exemplars: Vec<Exemplar>,
    /// The phrase that invites step-by-step reasoning (Kojima et al. 2022).
    pub trigger: String,
}

impl Default for Prompting {
    fn default() -> Self {
        Self { exemplars: Vec::new(), trigger: "Let's think step by step.".to_owned() }
    }
}

/// The instruction added when the vote is weighted by stated confidence.
const CONFIDENCE_INSTRUCTION: &str =
    "After the answer, add one more line \"Confidence: <0-100>%\" saying how sure you are.";

/// Messages asking for the answer alone, without reasoning.
pub fn direct_messages(task: &Task) -> Vec<Message> {
    let suffix = format!("Answer directly, without explaining. {}", task.format_instruction());
    task.asking(Vec::new(), &suffix)
}

/// Messages asking for step-by-step reasoning, after any exemplars; `ask_confidence` adds the
/// confidence line used by confidence-weighted votes.
pub fn reasoning_messages(
    task: &Task,
    prompting: &Prompting,
    ask_confidence: bool,
) -> Vec<Message> {
    let mut exemplars = Vec::with_capacity(prompting.exemplars.len() * 2);
    for example in &prompting.exemplars {
        exemplars.push(Message::user(example.question.clone()));
        exemplars.push(Message::assistant(format!(
            "{}\nThe answer is: {}",
            example.reasoning.trim_end(),
            example.answer
        )));
    }
    let mut suffix = format!("{} {}", prompting.trigger, task.format_instruction());
    if ask_confidence {
        suffix.push(' ');
        suffix.push_str(CONFIDENCE_INSTRUCTION);
    }
    task.asking(exemplars, suffix.trim())
}

/// The default judge prompt; `{question}`, `{solution}` and `{max}` are filled in.
pub const DEFAULT_JUDGE_PROMPT: &str = "You are checking a solution to a question.\n\n\
Question:\n{question}\n\nProposed solution:\n{solution}\n\n\
Check the reasoning and the final answer carefully. Then rate how likely the solution is correct \
on a scale from 0 (certainly wrong) to {max} (certainly right). Reply with a short justification \
and a last line of the form \"Score: <number>\".";

/// `template` with each `{name}` of `values` replaced, in one pass: text that a value brings in
/// (a question that mentions `{answer}`, say) is never itself replaced. Unknown `{…}` stay as they
/// are.
pub(crate) fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let (before, from_brace) = rest.split_at(open);
        out.push_str(before);
        let known = values.iter().find(|(name, _)| {
            from_brace
                .get(1..)
                .is_some_and(|t| t.starts_with(name) && t[name.len()..].starts_with('}'))
        });
        match known {
            Some((name, value)) => {
                out.push_str(value);
                rest = from_brace.get(name.len() + 2..).unwrap_or_default();
            }
            None => {
                out.push('{');
                rest = from_brace.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

/// Messages asking a judge to score one candidate solution.
pub fn judge_messages(
    template: &str,
    question: &str,
    solution: &str,
    max_score: u32,
) -> Vec<Message> {
    let max = max_score.to_string();
    let values = [("question", question), ("solution", solution), ("max", max.as_str())];
    vec![Message::user(render(template, &values))]
}

/// The score a judge gave, scaled to [0, 1]: the number after the last "score", or else the last
/// number in the text, if it lies in [0, max].
pub fn parse_score(text: &str, max_score: u32) -> Option<f64> {
    let lower = text.to_ascii_lowercase();
    let tail = lower.rfind("score").and_then(|at| lower.get(at + 5..)).unwrap_or(&lower);
    let number = leading_number(tail).map(|(n, _)| n).or_else(|| trailing_number(&lower))?;
    let max = f64::from(max_score.max(1));
    (0.0..=max).contains(&number).then(|| number / max)
}

/// The confidence a model stated ("Confidence: 80%" or "confidence: 0.8"), in [0, 1].
pub fn parse_confidence(text: &str) -> Option<f64> {
    let lower = text.to_ascii_lowercase();
    let tail = lower.get(lower.rfind("confidence")? + 10..)?;
    let (value, after) = leading_number(tail)?;
    let percent = after.trim_start().starts_with('%');
    let share = if percent || value > 1.0 { value / 100.0 } else { value };
    (0.0..=1.0).contains(&share).then_some(share)
}

/// The first decimal number within the next few characters (after `:`, `*`, spaces), and the
/// text right after it.
fn leading_number(text: &str) -> Option<(f64, &str)> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    if text.get(..start)?.chars().count() > 6 {
        return None;
    }
    let rest = text.get(start..)?;
    let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
    let value = rest.get(..end)?.trim_end_matches('.').parse().ok()?;
    Some((value, rest.get(end..)?))
}

fn trailing_number(text: &str) -> Option<f64> {
    let end = text.rfind(|c: char| c.is_ascii_digit())? + 1;
    let head = text.get(..end)?;
    let start = head.rfind(|c: char| !(c.is_ascii_digit() || c == '.')).map_or(0, |i| i + 1);
    head.get(start..)?.trim_start_matches('.').parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Extractor;
    use crate::model::Role;

    #[test]
    fn zero_shot_prompt_carries_trigger_and_format() {
        let task = Task::new("What is 2 + 3?").extractor(Extractor::number());
        let messages = reasoning_messages(&task, &Prompting::default(), false);
        assert_eq!(messages.len(), 1);
        assert!(messages[0].content.starts_with("What is 2 + 3?"));
        assert!(messages[0].content.contains("Let's think step by step."));
        assert!(messages[0].content.contains("The answer is: <number>"));
    }

    #[test]
    fn few_shot_exemplars_come_first_as_turns() {
        let prompting = Prompting {
            exemplars: vec![Exemplar {
                question: "1+1?".into(),
                reasoning: "One and one.".into(),
                answer: "2".into(),
            }],
            ..Prompting::default()
        };
        let task = Task::new("2+2?").system("Be brief.");
        let messages = reasoning_messages(&task, &prompting, true);
        let roles: Vec<Role> = messages.iter().map(|m| m.role).collect();
        assert_eq!(roles, [Role::System, Role::User, Role::Assistant, Role::User]);
        assert!(messages[2].content.ends_with("The answer is: 2"));
        assert!(messages[3].content.contains("Confidence:"));
    }

    #[test]
    fn scores_and_confidence() {
        assert_eq!(parse_score("Looks right.\nScore: 8", 10), Some(0.8));
        assert_eq!(parse_score("**Score:** 10/10", 10), Some(1.0));
        assert_eq!(parse_score("I'd give it 3", 10), Some(0.3));
        assert_eq!(parse_score("Score: 42", 10), None);
        assert_eq!(parse_score("no idea", 10), None);
        assert_eq!(parse_confidence("The answer is 4\nConfidence: 85%"), Some(0.85));
        assert_eq!(parse_confidence("confidence: 0.6"), Some(0.6));
        assert_eq!(parse_confidence("Confidence: 250%"), None);
        assert_eq!(parse_confidence("Confidence: 0.6. Earlier I guessed 50%"), Some(0.6));
        assert_eq!(parse_confidence("nothing"), None);
    }
}
