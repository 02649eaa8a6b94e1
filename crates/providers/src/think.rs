//! Reasoning written inline as `<think>…</think>`: many open reasoning models (DeepSeek-R1
//! distills, QwQ, Qwen3) served by a server that does not separate it put their thinking at the
//! start of the content between these tags. [`ThinkTags`] splits a choice's streamed content into
//! reasoning and answer text as it arrives, so the trace shows the thinking as the branch's
//! reasoning and answer extraction reads only the answer.
//!
//! Only a block that opens the content counts: a `<think>` later in an answer is the answer's text.
//! Tags split across deltas are held back until they can be told apart from ordinary text.

use thinkscale_engine::model::Channel;

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing but whitespace yet: a `<think>` may still open.
    Start,
    /// Inside the block.
    Thinking,
    /// Right after the block: whitespace before the answer is dropped.
    Closed,
    /// In the answer.
    Answer,
}

/// Splits one choice's content into reasoning and text.
#[derive(Debug, Clone)]
pub(crate) struct ThinkTags {
    phase: Phase,
    pending: String,
}

impl Default for ThinkTags {
    fn default() -> Self {
        Self { phase: Phase::Start, pending: String::new() }
    }
}

impl ThinkTags {
    /// The parts of `delta`, in order, that can be classified now.
    pub(crate) fn split(&mut self, delta: &str) -> Vec<(Channel, String)> {
        self.pending.push_str(delta);
        let mut parts = Vec::new();
        loop {
            match self.phase {
                Phase::Start => {
                    let trimmed = self.pending.trim_start();
                    if let Some(rest) = trimmed.strip_prefix(OPEN) {
                        self.pending = rest.to_owned();
                        self.phase = Phase::Thinking;
                    } else if OPEN.starts_with(trimmed) {
                        return parts; // whitespace or part of the tag so far
                    } else {
                        self.phase = Phase::Answer;
                    }
                }
                Phase::Thinking => match self.pending.find(CLOSE) {
                    Some(at) => {
                        let thought: String = self.pending.drain(..at + CLOSE.len()).collect();
                        push(&mut parts, Channel::Reasoning, &thought[..at]);
                        self.phase = Phase::Closed;
                    }
                    None => {
                        let keep = partial_suffix(&self.pending, CLOSE);
                        let ready = self.pending.len() - keep;
                        let thought: String = self.pending.drain(..ready).collect();
                        push(&mut parts, Channel::Reasoning, &thought);
                        return parts;
                    }
                },
                Phase::Closed => {
                    let answer = self.pending.trim_start();
                    if answer.is_empty() {
                        self.pending.clear();
                        return parts;
                    }
                    self.pending = answer.to_owned();
                    self.phase = Phase::Answer;
                }
                Phase::Answer => {
                    let text = std::mem::take(&mut self.pending);
                    push(&mut parts, Channel::Text, &text);
                    return parts;
                }
            }
        }
    }

    /// What is still held back, at the end of the choice: an unclosed block is reasoning cut
    /// short; anything else is text.
    pub(crate) fn finish(&mut self) -> Vec<(Channel, String)> {
        let rest = std::mem::take(&mut self.pending);
        let channel =
            if self.phase == Phase::Thinking { Channel::Reasoning } else { Channel::Text };
        let mut parts = Vec::new();
        if self.phase != Phase::Closed {
            push(&mut parts, channel, &rest);
        }
        self.phase = Phase::Answer;
        parts
    }
}

fn push(parts: &mut Vec<(Channel, String)>, channel: Channel, text: &str) {
    if !text.is_empty() {
        parts.push((channel, text.to_owned()));
    }
}

/// The length of the longest suffix of `text` that is a proper prefix of `tag`.
fn partial_suffix(text: &str, tag: &str) -> usize {
    (1..tag.len())
        .rev()
        .find(|&len| {
            text.len() >= len
                && text.is_char_boundary(text.len() - len)
                && tag.starts_with(&text[text.len() - len..])
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `deltas` and returns (reasoning, text).
    fn split(deltas: &[&str]) -> (String, String) {
        let mut tags = ThinkTags::default();
        let mut parts: Vec<(Channel, String)> = deltas.iter().flat_map(|d| tags.split(d)).collect();
        parts.extend(tags.finish());
        let join = |channel| {
            parts.iter().filter(|(c, _)| *c == channel).map(|(_, t)| t.as_str()).collect()
        };
        (join(Channel::Reasoning), join(Channel::Text))
    }

    #[test]
    fn a_leading_block_is_reasoning_even_when_tags_are_split_across_deltas() {
        let expected = ("I add 2 and 2.".to_owned(), "The answer is: 4".to_owned());
        assert_eq!(split(&["<think>I add 2 and 2.</think>\n\nThe answer is: 4"]), expected);
        assert_eq!(
            split(&["\n<th", "ink>I add", " 2 and 2.</th", "ink", ">\n", "\nThe answer", " is: 4"]),
            expected
        );
    }

    #[test]
    fn text_without_a_leading_block_is_untouched() {
        let plain = ("".to_owned(), "2 < 3, and <think> here is text".to_owned());
        assert_eq!(split(&["2 < 3, and <think> here", " is text"]), plain);
        assert_eq!(split(&["<", "b>bold</b>"]), ("".to_owned(), "<b>bold</b>".to_owned()));
        assert_eq!(split(&["   "]), ("".to_owned(), "   ".to_owned()));
    }

    #[test]
    fn an_unclosed_block_is_reasoning_cut_short() {
        assert_eq!(
            split(&["<think>Let me see", " … </thi"]),
            ("Let me see … </thi".to_owned(), String::new())
        );
    }
}
