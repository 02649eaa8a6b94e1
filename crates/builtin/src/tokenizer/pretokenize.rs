//! Pre-tokenization: splitting text into the words that byte-level BPE then merges within.
//!
//! GGUF files name their split rule in `tokenizer.ggml.pre`; llama.cpp and Hugging Face express
//! each as a regular expression with a look-ahead (`\s+(?!\S)`), which the `regex` family of
//! crates cannot run. The rules here are hand-written scanners that take, at every position, the
//! first alternative of that expression which matches — the same leftmost-first semantics — so
//! the words are the ones the model was trained on (the live tests compare whole token sequences
//! with llama.cpp's own tokenizer).

/// The split rule of a tokenizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitRule {
    /// GPT-2's rule: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    Gpt2,
    /// SmolLM's rule: every digit on its own, then GPT-2's rule.
    SmolLm,
    /// Qwen2's rule: case-insensitive contractions, one punctuation mark may lead a word, single
    /// digits, punctuation keeps trailing newlines, newlines end whitespace runs.
    Qwen2,
}

impl SplitRule {
    /// The rule for a GGUF `tokenizer.ggml.pre` name; `None` for names not supported here.
    pub fn from_gguf_name(name: &str) -> Option<Self> {
        match name {
            "default" | "gpt-2" | "gpt2" => Some(Self::Gpt2),
            "smollm" => Some(Self::SmolLm),
            "qwen2" => Some(Self::Qwen2),
            _ => None,
        }
    }

    /// Splits `text` into words, in order; their concatenation is `text`.
    pub fn split(self, text: &str) -> Vec<&str> {
        let mut words = Vec::new();
        match self {
            Self::Gpt2 => scan(text, gpt2_word, &mut words),
            Self::Qwen2 => scan(text, qwen2_word, &mut words),
            Self::SmolLm => {
                for piece in digits_apart(text) {
                    scan(piece, gpt2_word, &mut words);
                }
            }
        }
        words
    }
}

fn scan<'a>(text: &'a str, word_end: fn(&str) -> usize, words: &mut Vec<&'a str>) {
    let mut rest = text;
    while !rest.is_empty() {
        // Every rule consumes at least one character, so this always progresses.
        let end = word_end(rest).max(first_char_len(rest));
        let (word, tail) = rest.split_at(end);
        words.push(word);
        rest = tail;
    }
}

/// Splits off every digit as a piece of its own (Hugging Face's `Digits(individual_digits)`).
fn digits_apart(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for (index, c) in text.char_indices() {
        if c.is_numeric() {
            if start < index {
                pieces.push(&text[start..index]);
            }
            let end = index + c.len_utf8();
            pieces.push(&text[index..end]);
            start = end;
        }
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

fn first_char_len(text: &str) -> usize {
    text.chars().next().map_or(0, char::len_utf8)
}

fn is_letter(c: char) -> bool {
    c.is_alphabetic()
}

fn is_number(c: char) -> bool {
    c.is_numeric()
}

fn is_other(c: char) -> bool {
    !c.is_whitespace() && !is_letter(c) && !is_number(c)
}

/// The byte length of the longest prefix of `text` whose characters all satisfy `class`.
fn run(text: &str, class: fn(char) -> bool) -> usize {
    text.char_indices().find(|&(_, c)| !class(c)).map_or(text.len(), |(index, _)| index)
}

/// `X+` after an optional leading space: the length matched, or 0.
fn optional_space_then_run(text: &str, class: fn(char) -> bool) -> usize {
    let after_space = usize::from(text.starts_with(' '));
    let body = run(&text[after_space..], class);
    if body == 0 { 0 } else { after_space + body }
}

/// `'s|'t|'re|'ve|'m|'ll|'d`, optionally ignoring case.
fn contraction(text: &str, ignore_case: bool) -> usize {
    let Some(rest) = text.strip_prefix('\'') else { return 0 };
    for suffix in ["re", "ve", "ll", "s", "t", "m", "d"] {
        let head = rest.get(..suffix.len());
        let matches = head.is_some_and(|head| {
            if ignore_case { head.eq_ignore_ascii_case(suffix) } else { head == suffix }
        });
        if matches {
            return 1 + suffix.len();
        }
    }
    0
}

/// `\s+(?!\S)|\s+`: a whitespace run, leaving its last character to the next word when a
/// non-space follows (so `"  x"` splits as `" "`, `" x"`).
fn whitespace(text: &str) -> usize {
    let end = run(text, char::is_whitespace);
    if end == 0 || end == text.len() {
        return end;
    }
    let last = text[..end].chars().next_back().map_or(0, char::len_utf8);
    if end > last { end - last } else { end }
}

fn gpt2_word(text: &str) -> usize {
    [
        contraction(text, false),
        optional_space_then_run(text, is_letter),
        optional_space_then_run(text, is_number),
        optional_space_then_run(text, is_other),
        whitespace(text),
    ]
    .into_iter()
    .find(|&end| end > 0)
    .unwrap_or(0)
}

fn qwen2_word(text: &str) -> usize {
    let first = text.chars().next();
    // [^\r\n\p{L}\p{N}]?\p{L}+
    let letters = {
        let lead = first
            .filter(|&c| c != '\r' && c != '\n' && !is_letter(c) && !is_number(c))
            .map_or(0, char::len_utf8);
        let with_lead = if lead > 0 { run(&text[lead..], is_letter) } else { 0 };
        if with_lead > 0 { lead + with_lead } else { run(text, is_letter) }
    };
    // \p{N}
    let digit = first.filter(|&c| is_number(c)).map_or(0, char::len_utf8);
    // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
    let punctuation = {
        let end = optional_space_then_run(text, is_other);
        if end == 0 { 0 } else { end + run(&text[end..], |c| c == '\r' || c == '\n') }
    };
    // \s*[\r\n]+ : the whitespace run up to and including its last line break.
    let line_breaks = {
        let end = run(text, char::is_whitespace);
        text[..end].rfind(['\r', '\n']).map_or(0, |index| index + 1)
    };
    [contraction(text, true), letters, digit, punctuation, line_breaks, whitespace(text)]
        .into_iter()
        .find(|&end| end > 0)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpt2_keeps_leading_spaces_on_words_and_splits_contractions() {
        assert_eq!(
            SplitRule::Gpt2.split("Hello world, it's  42!\n\nOK  "),
            ["Hello", " world", ",", " it", "'s", " ", " 42", "!", "\n", "\n", "OK", "  "]
        );
    }

    #[test]
    fn smollm_splits_every_digit() {
        assert_eq!(SplitRule::SmolLm.split("x 123"), ["x", " ", "1", "2", "3"]);
    }

    #[test]
    fn qwen2_lets_one_mark_lead_a_word_and_keeps_newlines_after_punctuation() {
        assert_eq!(
            SplitRule::Qwen2.split("(hello) 12 IT'S.\n\n  end"),
            ["(hello", ")", " ", "1", "2", " IT", "'S", ".\n\n", " ", " end"]
        );
        assert_eq!(SplitRule::Qwen2.split("a \n b"), ["a", " \n", " b"]);
    }

    #[test]
    fn every_rule_reassembles_the_text() {
        let text = "Ünïcødé — «quotes» 3.14\t\ttabs\r\nend 's 'S ''";
        for rule in [SplitRule::Gpt2, SplitRule::SmolLm, SplitRule::Qwen2] {
            assert_eq!(rule.split(text).concat(), text, "{rule:?}");
        }
    }
}
