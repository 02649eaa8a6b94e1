//! The provider-neutral request a strategy sends to a [`Model`](super::Model).

use serde::{Deserialize, Serialize};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Role {
    /// Instructions that frame the conversation.
    System,
    /// The person asking.
    User,
    /// The model.
    Assistant,
}

impl Role {
    /// The role as the wire names it: `system`, `user`, `assistant`.
    pub fn name(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }
    /// The role as a transcript labels a turn: `System`, `User`, `Assistant`.
    pub fn title(self) -> &'static str {
        match self {
            Self::System => "System",
            Self::User => "User",
            Self::Assistant => "Assistant",
        }
    }
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(rename = "ChatMessage"))]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// Its text. Read from a string, or from OpenAI's content parts (`[{ "type": "text",
    /// "text": … }, …]`, joined by newlines); parts that are not text (images, audio) are refused.
    #[serde(deserialize_with = "content_text")]
    pub content: String,
}

/// A message's content: a string, or an array of text parts.
fn content_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    struct Content;

    // Other fields of a part (`cache_control`, say) are ignored; its type decides.
    #[derive(Deserialize)]
    struct Part {
        #[serde(rename = "type")]
        kind: String,
        #[serde(default)]
        text: Option<String>,
    }

    impl<'de> serde::de::Visitor<'de> for Content {
        type Value = String;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string or an array of { type: \"text\", text } parts")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<String, E> {
            Ok(text.to_owned())
        }

        fn visit_string<E: serde::de::Error>(self, text: String) -> Result<String, E> {
            Ok(text)
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut parts: A) -> Result<String, A::Error> {
            let mut texts = Vec::new();
            while let Some(part) = parts.next_element::<Part>()? {
                match (part.kind.as_str(), part.text) {
                    ("text", Some(text)) => texts.push(text),
                    ("text", None) => return Err(serde::de::Error::missing_field("text")),
                    (kind, _) => {
                        return Err(serde::de::Error::custom(format!(
                            "only text content parts are supported, not `{kind}`"
                        )));
                    }
                }
            }
            Ok(texts.join("\n"))
        }
    }

    deserializer.deserialize_any(Content)
}

impl Message {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self { role: Role::System, content: content.into() }
    }
    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self { role: Role::User, content: content.into() }
    }
    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self { role: Role::Assistant, content: content.into() }
    }
}

/// Reasoning effort levels, as OpenAI's `reasoning_effort` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Effort {
    /// Minimal hidden reasoning.
    Low,
    /// The provider's default.
    Medium,
    /// The most hidden reasoning.
    High,
}

/// How much a reasoning model may think before answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Reasoning {
    /// An effort level (OpenAI `reasoning_effort`).
    Effort {
        /// The level.
        level: Effort,
    },
    /// A token budget for thinking (Anthropic extended thinking `budget_tokens`).
    Budget {
        /// Thinking tokens allowed.
        tokens: u32,
    },
}

/// A request for one or more completions of a conversation.
///
/// Built with [`Request::new`] and the chainable setters; every field that is `None` is left to
/// the provider's default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(optional_fields, rename = "ModelRequest"))]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// The conversation so far.
    pub messages: Vec<Message>,
    /// Sampling temperature (0 = greedy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Nucleus sampling mass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    /// Most tokens to generate per choice (visible text; reasoning budgets are separate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Number of choices wanted from this one request.
    #[serde(default = "one")]
    pub n: u32,
    /// Seed for reproducible sampling, where the model supports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Strings that end generation when produced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
    /// Whether per-token log-probabilities are wanted.
    #[serde(default)]
    pub logprobs: bool,
    /// Reasoning effort or thinking budget, for reasoning models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Reasoning>,
    /// Which model of a [`Cascade`](super::Cascade) answers: 0, the first (cheapest), unless a
    /// strategy escalates. Single models ignore it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tier: u32,
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

fn one() -> u32 {
    1
}

impl Request {
    /// A request for one completion of `messages`, everything else at the provider's default.
    pub fn new(messages: Vec<Message>) -> Self {
        Self {
            messages,
            temperature: None,
            top_p: None,
            max_tokens: None,
            n: 1,
            seed: None,
            stop: Vec::new(),
            logprobs: false,
            reasoning: None,
            tier: 0,
        }
    }
    /// Sets which model of a cascade answers.
    pub fn tier(mut self, tier: u32) -> Self {
        self.tier = tier;
        self
    }
    /// Sets the temperature.
    pub fn temperature(mut self, temperature: f32) -> Self {
        self.temperature = Some(temperature);
        self
    }
    /// Sets nucleus sampling.
    pub fn top_p(mut self, top_p: f32) -> Self {
        self.top_p = Some(top_p);
        self
    }
    /// Sets the most tokens per choice.
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }
    /// Sets the number of choices.
    pub fn n(mut self, n: u32) -> Self {
        self.n = n;
        self
    }
    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
    /// Adds a stop string.
    pub fn stop(mut self, stop: impl Into<String>) -> Self {
        self.stop.push(stop.into());
        self
    }
    /// Asks for per-token log-probabilities.
    pub fn logprobs(mut self, logprobs: bool) -> Self {
        self.logprobs = logprobs;
        self
    }
    /// Sets the reasoning effort or thinking budget.
    pub fn reasoning(mut self, reasoning: Reasoning) -> Self {
        self.reasoning = Some(reasoning);
        self
    }

    /// A rough, deliberately generous count of the prompt's tokens (about 3 bytes a token plus a
    /// few tokens of framing per message). Budgets reserve this before the real count is known.
    pub fn estimated_prompt_tokens(&self) -> u64 {
        self.messages.iter().map(|m| (m.content.len() as u64).div_ceil(3) + 4).sum()
    }
}
