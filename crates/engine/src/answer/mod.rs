//! Answer extraction: from a completion's text to a comparable final answer, or to none.
//!
//! Votes compare [`Answer::key`]s, so extraction normalises: `1,234`, `$1234.00` and `1234` share
//! a key, as do `3/4` and `0.75`, and `(b)` and `B.`. When a model states no answer — or a marker
//! holds nothing usable, or the text was cut off before the answer — extraction returns `None`
//! rather than guessing.
//!
//! Text answers are keyed as text: case, punctuation, articles and a restatement of the question
//! ("The capital of Australia is …", see `restatement.rs`) do not split a vote. A reply that is
//! one short line with no marker is itself the answer.

mod json;
mod number;
mod restatement;
mod text;

use json::Schema;
use restatement::QuestionWords;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::FinishReason;

/// A final answer taken from a completion.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// The answer as the model wrote it (trimmed), for display.
    pub text: String,
    /// The normalised form that votes compare.
    pub key: String,
}

/// The longest answer text (and vote key) kept, in characters. Answers travel in every vote
/// event; a model that "answers" with a megabyte of text must not make each of them a megabyte.
pub const MAX_ANSWER_CHARS: usize = 200;

impl Answer {
    /// This answer with its text cut to [`MAX_ANSWER_CHARS`] (marked `…`), and its key cut the
    /// same way but ending in a hash of the whole key, so that two long answers that differ only
    /// after the cut still vote apart.
    pub fn bounded(self) -> Self {
        let cut = |text: &str| text.char_indices().nth(MAX_ANSWER_CHARS).map(|(at, _)| at);
        let text = match cut(&self.text) {
            Some(at) => format!("{}…", self.text.get(..at).unwrap_or_default()),
            None => self.text,
        };
        let key = match cut(&self.key) {
            Some(at) => {
                format!("{}…#{:016x}", self.key.get(..at).unwrap_or_default(), fnv1a(&self.key))
            }
            None => self.key,
        };
        Self { text, key }
    }
}

/// FNV-1a, 64 bits: a stable hash for cut vote keys (std's hasher may change between releases,
/// and a key must mean the same in a trace replayed later). Written out because it is four lines.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// How to find the final answer in a completion. Serializable: JS sends it as
/// `{"kind": "number"}`, `{"kind": "choice", "letters": "ABCD"}`, `{"kind": "regex", "pattern": …}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Extractor {
    /// `#### …`, then `\boxed{…}`, then "the answer is …"; numbers are normalised as numbers and
    /// anything else as text. Without a marker, the last number of a text that ended normally.
    #[default]
    Auto,
    /// A numeric answer (GSM8K style): the first number after the markers of [`Extractor::Auto`].
    Number {
        /// Whether a text without any marker answers with its last number (only if the text ended
        /// normally, never when truncated). Default true.
        #[serde(default = "yes")]
        #[cfg_attr(feature = "typescript", ts(as = "Option<bool>", optional))]
        last_number_fallback: bool,
    },
    /// The content of the last `\boxed{…}` only.
    Boxed,
    /// A multiple-choice letter, upper-cased.
    Choice {
        /// The letters that are valid choices. Default `ABCDE`.
        #[serde(default = "default_letters")]
        #[cfg_attr(feature = "typescript", ts(as = "Option<String>", optional))]
        letters: String,
    },
    /// The text after the last "the answer is" / "Answer:", up to the end of its sentence.
    AnswerIs,
    /// The caller's regular expression: its first capture group (or whole match) in the last match.
    Regex {
        /// The pattern (Rust `regex` syntax, without Unicode classes).
        pattern: String,
    },
    /// A JSON value: the last fenced ```` ```json ```` block, else the last object or array in
    /// the text; voted on in canonical form (keys sorted, whole numbers as integers).
    Json {
        /// A JSON Schema the value must fit; a value that does not is no answer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "typescript", ts(type = "object", optional))]
        schema: Option<serde_json::Value>,
    },
    /// No answer key at all: replies are free-form (prose, code, whole explanations), and a
    /// voting run decides by clustering the replies themselves — or a selector reads them
    /// (universal self-consistency). Asks for no answer format.
    FreeForm,
}

fn yes() -> bool {
    true
}

fn default_letters() -> String {
    "ABCDE".to_owned()
}

impl Extractor {
    /// A numeric extractor with the last-number fallback on.
    pub fn number() -> Self {
        Self::Number { last_number_fallback: true }
    }

    /// Checks the configuration and prepares it (compiles the regex).
    pub fn compile(&self) -> Result<AnswerParser> {
        let regex = match self {
            Self::Regex { pattern } if pattern.chars().count() > MAX_PATTERN_CHARS => {
                return Err(Error::config(
                    "task.extractor.pattern",
                    format!("is longer than {MAX_PATTERN_CHARS} characters"),
                ));
            }
            Self::Regex { pattern } => Some(
                regex_lite::RegexBuilder::new(pattern)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| Error::config("task.extractor.pattern", e.to_string()))?,
            ),
            Self::Json { schema: Some(schema) } => {
                let compiled = Schema::compile(schema)
                    .map_err(|e| Error::config("task.extractor.schema", e))?;
                return Ok(AnswerParser {
                    extractor: self.clone(),
                    regex: None,
                    schema: Some(compiled),
                    question: QuestionWords::default(),
                });
            }
            Self::Choice { letters } if letters.is_empty() || !letters.is_ascii() => {
                return Err(Error::config(
                    "task.extractor.letters",
                    "must list one or more ASCII letters, for example \"ABCD\"",
                ));
            }
            _ => None,
        };
        Ok(AnswerParser {
            extractor: self.clone(),
            regex,
            schema: None,
            question: QuestionWords::default(),
        })
    }

    /// The instruction that tells a model how to state its answer so this extractor finds it.
    pub fn instruction(&self) -> &'static str {
        match self {
            Self::Auto | Self::AnswerIs | Self::Regex { .. } => {
                "Finish with a last line of the form \"The answer is: <answer>\"."
            }
            Self::Number { .. } => {
                "Finish with a last line of the form \"The answer is: <number>\", the number alone."
            }
            Self::Boxed => "Put the final answer in \\boxed{}.",
            Self::Choice { .. } => {
                "Finish with a last line of the form \"The answer is: (<letter>)\"."
            }
            Self::Json { .. } => "Finish with the answer as JSON, in a ```json code block.",
            Self::FreeForm => "",
        }
    }
}

/// The longest regex pattern a caller may give. `regex-lite` (chosen for its size in wasm) takes
/// time proportional to pattern × text: a 2.9 KB pattern made fuzzing report 1.2 s on a 4 KB text;
/// real answer patterns are a few dozen characters.
pub const MAX_PATTERN_CHARS: usize = 256;

/// A compiled [`Extractor`], ready to run on many completions.
#[derive(Debug, Clone)]
pub struct AnswerParser {
    extractor: Extractor,
    regex: Option<regex_lite::Regex>,
    schema: Option<Schema>,
    question: QuestionWords,
}

/// The longest reply (in bytes) that counts as a short answer when it states no marker: one
/// line such as "The capital of Australia is Canberra."
pub const SHORT_REPLY_BYTES: usize = 160;

impl AnswerParser {
    /// This parser for answers to `question`: text answers that restate it ("The capital of
    /// Australia is Canberra.") are keyed by what they add ("canberra").
    pub fn for_question(mut self, question: &str) -> Self {
        self.question = QuestionWords::of(question);
        self
    }

    /// The final answer in `text`, or `None` when there is no clear one. `finish` says whether the
    /// text ended normally: fallbacks that would guess are not used on truncated text.
    pub fn extract(&self, text: &str, finish: FinishReason) -> Option<Answer> {
        self.extract_unbounded(text, finish).map(Answer::bounded)
    }

    fn extract_unbounded(&self, text: &str, finish: FinishReason) -> Option<Answer> {
        let ended_normally = finish == FinishReason::Stop;
        let generic = |segment: &str| generic(segment, &self.question);
        match &self.extractor {
            Extractor::Auto => match marked(text) {
                Some(segment) => generic(segment),
                None if !ended_normally => None,
                None => match short_reply(text) {
                    Some(line) => generic(line),
                    None => last_number_answer(text),
                },
            },
            Extractor::Number { last_number_fallback } => match marked(text) {
                Some(segment) => numeric(segment),
                None if *last_number_fallback && ended_normally => last_number_answer(text),
                None => None,
            },
            Extractor::Boxed => text::last_boxed(text).and_then(|s| generic(s.trim())),
            Extractor::Choice { letters } => choice(text, letters, ended_normally),
            Extractor::AnswerIs => {
                text::after_answer_phrase(text).map(text::first_sentence).and_then(generic)
            }
            Extractor::Regex { .. } => {
                let captures = self.regex.as_ref()?.captures_iter(text).last()?;
                let found = captures.get(1).or_else(|| captures.get(0))?;
                generic(found.as_str())
            }
            // A reply cut off mid-value may still hold an earlier, inner value: not an answer.
            Extractor::Json { .. } if !ended_normally => None,
            Extractor::Json { .. } => {
                let value = json::canonical(json::last_json(text)?);
                if self.schema.as_ref().is_some_and(|schema| !schema.accepts(&value)) {
                    return None;
                }
                let key = value.to_string();
                Some(Answer { text: key.clone(), key })
            }
            Extractor::FreeForm => None,
        }
    }
}

/// A reply that is one short line without a number ("The capital of Australia is Canberra.",
/// "The chemical formula of water is H2O."): the answer itself. A line with a number is left to
/// the last-number rule.
fn short_reply(text: &str) -> Option<&str> {
    let line = text.trim();
    let one_line = !line.contains('\n');
    let plain = number::last_number(line).is_none();
    (one_line && plain && !line.is_empty() && line.len() <= SHORT_REPLY_BYTES).then_some(line)
}

/// The segment a marker points at, trusting `####`, then `\boxed{}`, then answer phrases.
fn marked(text: &str) -> Option<&str> {
    text::after_hashes(text)
        .or_else(|| text::last_boxed(text))
        .or_else(|| text::after_answer_phrase(text).map(text::first_sentence))
}

/// A segment as a number (its first number) — or `None` if it holds no number.
fn numeric(segment: &str) -> Option<Answer> {
    let cleaned = text::clean_latex(segment);
    let found = number::first_number(&cleaned)?;
    let shown = cleaned.get(found.start..found.end).unwrap_or(&found.key).trim().to_owned();
    Some(Answer { text: shown, key: found.key })
}

/// A segment that starts with a number (after currency, `x =` and the like) is that number; any
/// other non-empty segment is text, keyed without a restatement of the question.
fn generic(segment: &str, question: &QuestionWords) -> Option<Answer> {
    let cleaned = text::clean_latex(segment);
    let shown = cleaned.trim().trim_end_matches(['.', ',', ';']).trim();
    if let Some(found) = number::first_number(shown) {
        let head = shown.get(..found.start).unwrap_or("");
        let head_is_decoration = head
            .trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .chars()
            .all(|c| c.is_whitespace() || "=$€£*(:".contains(c));
        if head_is_decoration && head.len() <= 8 {
            return numeric(shown);
        }
    }
    let key = question.strip(&text::normalize_text(shown));
    let key = number::number_word_key(&key).unwrap_or(key);
    (!key.is_empty()).then(|| Answer { text: shown.to_owned(), key })
}

fn last_number_answer(text: &str) -> Option<Answer> {
    let cleaned = text::clean_latex(text);
    let found = number::last_number(&cleaned)?;
    let shown = cleaned.get(found.start..found.end).unwrap_or(&found.key).trim().to_owned();
    Some(Answer { text: shown, key: found.key })
}

/// A choice letter: in the answer phrase or box, else (text ended normally) the last `(X)`.
fn choice(text: &str, letters: &str, ended_normally: bool) -> Option<Answer> {
    let is_choice = |c: char| letters.contains(c.to_ascii_uppercase()) && c.is_ascii_alphabetic();
    let standalone = |segment: &str| -> Option<char> {
        let chars: Vec<char> = segment.chars().collect();
        chars.iter().enumerate().find_map(|(i, &c)| {
            let before = i.checked_sub(1).and_then(|j| chars.get(j)).copied().unwrap_or(' ');
            let after = chars.get(i + 1).copied().unwrap_or(' ');
            let isolated = !before.is_alphanumeric() && !after.is_alphanumeric();
            // A lone lowercase `a` is usually an article: lowercase letters need `(c)` or `c)`.
            let marked = c.is_ascii_uppercase() || before == '(' || after == ')';
            (is_choice(c) && isolated && marked).then_some(c)
        })
    };
    let from_marker =
        text::after_answer_phrase(text).or_else(|| text::last_boxed(text)).and_then(standalone);
    let letter = match from_marker {
        Some(letter) => letter,
        None if ended_normally => {
            let chars: Vec<char> = text.chars().collect();
            chars.windows(3).rev().find_map(|w| match *w {
                ['(', c, ')'] if is_choice(c) => Some(c),
                _ => None,
            })?
        }
        None => return None,
    };
    let upper = letter.to_ascii_uppercase().to_string();
    Some(Answer { text: upper.clone(), key: upper })
}

#[cfg(test)]
mod tests;
