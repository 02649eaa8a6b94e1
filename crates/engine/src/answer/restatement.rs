//! Short text answers vote as text: "Canberra", "The capital of Australia is Canberra." and
//! "canberra." must share a key. Models restate the question around their answer, so a text key
//! drops the part of a "X is Y" statement that only repeats the question.
//!
//! The rule is deliberately narrow, so it never merges different answers: the statement is split
//! at its first copula (`is`, `are`, `was`, `were`, `equals`), and one side is dropped only when
//! every word of it is a word of the question or a filler word ("the", "so", "it"), and the other
//! side is not. "Canberra is the capital" keeps "canberra"; "Sydney is bigger than Canberra"
//! keeps everything, since neither side only repeats the question.

use std::collections::BTreeSet;

/// Words a restatement may carry besides the question's own.
const FILLER: [&str; 18] = [
    "the",
    "a",
    "an",
    "of",
    "so",
    "thus",
    "therefore",
    "hence",
    "it",
    "that",
    "this",
    "its",
    "answer",
    "final",
    "my",
    "correct",
    "here",
    "in",
];

/// The copulas a restatement is split at.
const COPULAS: [&str; 6] = ["is", "are", "was", "were", "equals", "="];

/// The words of a question, lowercase, as restatements are compared with them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct QuestionWords(BTreeSet<String>);

impl QuestionWords {
    /// The words of `question`.
    pub(crate) fn of(question: &str) -> Self {
        Self(words(&question.to_lowercase()).map(str::to_owned).collect())
    }

    fn covers(&self, side: &[&str]) -> bool {
        !side.is_empty() && side.iter().all(|w| FILLER.contains(w) || self.0.contains(*w))
    }

    /// `key` (a normalised text answer: lowercase, single spaces) without the side of its
    /// "X is Y" statement that only restates the question, and without a leading "it's".
    pub(crate) fn strip(&self, key: &str) -> String {
        let tokens: Vec<&str> = key.split(' ').collect();
        let bare: Vec<&str> = tokens.iter().map(|t| bare(t)).collect();
        let copula = bare.iter().position(|w| COPULAS.contains(w)).filter(|&at| at > 0);
        let kept: &[&str] = match copula {
            Some(at) if at + 1 < tokens.len() => {
                let ((head, tail), (said_head, said_tail)) =
                    (split_at(&bare, at), split_at(&tokens, at));
                match (self.covers(head), self.covers(tail)) {
                    (true, false) => said_tail,
                    (false, true) => said_head,
                    _ => &tokens,
                }
            }
            _ => &tokens,
        };
        let kept = match kept.split_first() {
            Some((first, rest)) if !rest.is_empty() && ["it's", "that's"].contains(first) => rest,
            _ => kept,
        };
        let kept = match kept.split_first() {
            Some((first, rest)) if !rest.is_empty() && ["the", "a", "an"].contains(first) => rest,
            _ => kept,
        };
        let joined = kept.join(" ");
        // What is left may have been quoted or emphasised inside the sentence ("… is "Au".").
        let trimmed = joined.trim_matches(|c: char| "\"'`*_“”‘’.,;:!".contains(c)).trim();
        if trimmed.is_empty() { key.to_owned() } else { trimmed.to_owned() }
    }
}

/// The words before and after `at`.
fn split_at<'w, 's>(words: &'w [&'s str], at: usize) -> (&'w [&'s str], &'w [&'s str]) {
    (words.get(..at).unwrap_or_default(), words.get(at + 1..).unwrap_or_default())
}

/// The word in a token: punctuation around it and a possessive `'s` removed.
fn bare(token: &str) -> &str {
    let word = token.trim_matches(|c: char| !c.is_alphanumeric() && c != '=');
    word.strip_suffix("'s").or_else(|| word.strip_suffix("’s")).unwrap_or(word)
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace().map(bare).filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restatements_of_the_question_are_dropped() {
        let words = QuestionWords::of("What is the capital of Australia?");
        assert_eq!(words.strip("capital of australia is canberra"), "canberra");
        assert_eq!(words.strip("canberra is the capital of australia"), "canberra");
        assert_eq!(words.strip("australia's capital is canberra"), "canberra");
        assert_eq!(words.strip("so the answer is canberra"), "canberra");
        assert_eq!(words.strip("it's canberra"), "canberra");
        assert_eq!(words.strip("canberra"), "canberra");
    }

    #[test]
    fn statements_that_say_more_are_kept() {
        let words = QuestionWords::of("What is the capital of Australia?");
        assert_eq!(words.strip("sydney is bigger than canberra"), "sydney is bigger than canberra");
        // Both sides only repeat the question: nothing to choose, keep it all.
        assert_eq!(words.strip("the capital is australia"), "capital is australia");
        let choice = QuestionWords::of("Is the capital Sydney or Canberra?");
        assert_eq!(choice.strip("canberra"), "canberra", "an answer the question names stays");
        assert_eq!(choice.strip("the capital is canberra"), "capital is canberra");
    }
}
