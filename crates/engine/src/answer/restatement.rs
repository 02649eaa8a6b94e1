//! Short text answers vote as text: "Canberra", "The capital of Australia is Canberra." and
//! "canberra." must share a key. Models wrap their answer in the question's own words, so a text
//! key keeps only what the statement adds to the question.
//!
//! The rules are deliberately narrow, so they never merge different answers; each one only ever
//! removes words of the question, filler words and the grammar that joins them:
//! - **"X is Y"**: split at the first copula (`is`, `are`, `was`, `were`, `equals`); one side is
//!   dropped when every word of it is a word of the question or a filler word ("the", "so",
//!   "it"), and the other side is not. "Canberra is the capital" keeps "canberra"; "Sydney is
//!   bigger than Canberra" keeps everything, since neither side only repeats the question.
//! - **A passive's verb**: "[Kenya is] located in Africa", "[it was] written by Shakespeare"
//!   keep what follows the participle and its preposition.
//! - **The question's words at either end**: "Apple makes the iPhone" (asked "Which company makes
//!   the iPhone?") keeps "apple", "plants absorb carbon dioxide from the air" keeps "carbon
//!   dioxide" — only while a word the question does not hold is left.
//! - **An aside**: a closing parenthesis ("carbon dioxide (CO2)") or a clause after a comma that
//!   starts with "which", "who" or a participle ("Mount Everest, located in Nepal").
//!
//! The measure of these rules is `crates/cli/data/short-answers.jsonl` (README, "Short text
//! answers vote as text").

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

/// Prepositions that follow a passive's participle ("located in", "written by").
const PREPOSITIONS: [&str; 12] =
    ["by", "in", "on", "at", "from", "as", "to", "for", "near", "with", "into", "under"];

/// Participles that do not end in "-ed" or "-en".
const IRREGULAR_PARTICIPLES: [&str; 14] = [
    "known", "made", "found", "built", "held", "led", "sung", "drawn", "born", "shown", "grown",
    "sold", "told", "worn",
];

/// Auxiliary verbs: "a spider has four legs" only restates "How many legs does a spider have?".
const AUXILIARIES: [&str; 9] = ["has", "have", "had", "does", "do", "did", "can", "will", "there"];

/// Words that join or qualify but say nothing alone: what the ends rule leaves must hold more
/// than these ("the sun is bigger than the moon" must not become "than").
const FUNCTION_WORDS: [&str; 22] = [
    "than", "or", "and", "not", "nor", "but", "if", "then", "with", "without", "to", "from", "by",
    "for", "on", "at", "as", "more", "less", "most", "least", "very",
];

/// Words that open a clause about the answer after a comma ("Mount Everest, which is …").
const CLAUSE_OPENERS: [&str; 4] = ["which", "who", "whose", "where"];

/// The words of a question, lowercase, as restatements are compared with them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct QuestionWords {
    words: BTreeSet<String>,
    /// The same words without a plural or tense ending: "absorbed" restates "absorb".
    stems: BTreeSet<String>,
    /// The words the question capitalises past its first word ("France", "iPhone"): names, which
    /// may be the answers themselves ("Did France beat Croatia?").
    names: BTreeSet<String>,
    /// Whether the question offers choices ("France or Croatia?").
    offers_choices: bool,
}

impl QuestionWords {
    /// The words of `question`.
    pub(crate) fn of(question: &str) -> Self {
        let lowercase: BTreeSet<String> =
            words(&question.to_lowercase()).map(str::to_owned).collect();
        let stems = lowercase.iter().map(|w| stem(w).to_owned()).collect();
        let names = words(question)
            .skip(1)
            .filter(|w| w.chars().any(char::is_uppercase))
            .map(str::to_lowercase)
            .collect();
        let offers_choices = ["or", "versus", "vs"].iter().any(|w| lowercase.contains(*w));
        Self { words: lowercase, stems, names, offers_choices }
    }

    /// Whether every word of `side` is the question's own or filler (exactly: the copula rule
    /// must not take "walked" for a restatement of "walk").
    fn covers(&self, side: &[&str]) -> bool {
        !side.is_empty() && side.iter().all(|w| FILLER.contains(w) || self.words.contains(*w))
    }

    /// Whether `word` only repeats the question at the end of an answer: its own word, or the
    /// same word with another ending, filler, a copula or an auxiliary.
    fn repeats(&self, word: &str) -> bool {
        FILLER.contains(&word)
            || COPULAS.contains(&word)
            || AUXILIARIES.contains(&word)
            || self.words.contains(word)
            || self.stems.contains(stem(word))
    }

    /// `key` (a normalised text answer: lowercase, single spaces) without the words that only
    /// restate the question (see the module's rules).
    pub(crate) fn strip(&self, key: &str) -> String {
        let tokens: Vec<&str> = key.split(' ').collect();
        let mut kept = self.without_copula_restatement(&tokens);
        kept = without_lead(kept, &["it's", "that's"]);
        kept = without_passive_verb(kept);
        kept = without_lead(kept, &["the", "a", "an"]);
        kept = self.without_repeated_ends(kept);
        kept = without_aside(kept);
        kept = without_lead(kept, &["the", "a", "an"]);
        let joined = kept.join(" ");
        // What is left may have been quoted or emphasised inside the sentence ("… is "Au".").
        let trimmed = joined.trim_matches(|c: char| "\"'`*_“”‘’.,;:!".contains(c)).trim();
        if trimmed.is_empty() { key.to_owned() } else { trimmed.to_owned() }
    }

    /// The side of an "X is Y" statement that says more than the question.
    fn without_copula_restatement<'t, 's>(&self, tokens: &'t [&'s str]) -> &'t [&'s str] {
        let bare: Vec<&str> = tokens.iter().map(|t| bare(t)).collect();
        let copula = bare.iter().position(|w| COPULAS.contains(w)).filter(|&at| at > 0);
        match copula {
            Some(at) if at + 1 < tokens.len() => {
                let ((head, tail), (said_head, said_tail)) =
                    (split_at(&bare, at), split_at(tokens, at));
                match (self.covers(head), self.covers(tail)) {
                    (true, false) => said_tail,
                    (false, true) => said_head,
                    _ => tokens,
                }
            }
            _ => tokens,
        }
    }

    /// `tokens` without the question's words at either end, as long as a word the question does
    /// not hold is left between them. Not when the question offers choices ("France or
    /// Croatia?"), and an end that is one name of the question stays ("France beat Croatia",
    /// asked "Did France beat Croatia?"): there the question's words are the answer.
    fn without_repeated_ends<'t, 's>(&self, tokens: &'t [&'s str]) -> &'t [&'s str] {
        if self.offers_choices {
            return tokens;
        }
        let repeats = |t: &&str| self.repeats(bare(t));
        let (Some(first), Some(last)) =
            (tokens.iter().position(|t| !repeats(t)), tokens.iter().rposition(|t| !repeats(t)))
        else {
            return tokens; // every word repeats the question: nothing to tell apart
        };
        let is_name = |at: usize| tokens.get(at).is_some_and(|t| self.names.contains(bare(t)));
        let first = if first == 1 && is_name(0) { 0 } else { first };
        let last = if last + 2 == tokens.len() && is_name(last + 1) { last + 1 } else { last };
        let kept = tokens.get(first..=last).unwrap_or(tokens);
        let says_something = kept.iter().any(|t| !FUNCTION_WORDS.contains(&bare(t)));
        if says_something { kept } else { tokens }
    }
}

/// `tokens` without a leading word from `leads`, unless it is the only word.
fn without_lead<'t, 's>(tokens: &'t [&'s str], leads: &[&str]) -> &'t [&'s str] {
    match tokens.split_first() {
        Some((first, rest)) if !rest.is_empty() && leads.contains(first) => rest,
        _ => tokens,
    }
}

/// `tokens` without a leading participle, an adverb and the preposition after them: "located
/// in africa" → "africa", "spoken primarily in portuguese" → "portuguese".
fn without_passive_verb<'t, 's>(tokens: &'t [&'s str]) -> &'t [&'s str] {
    let Some((first, rest)) = tokens.split_first() else { return tokens };
    if !is_participle(bare(first)) {
        return tokens;
    }
    let rest = match rest.split_first() {
        Some((adverb, after)) if adverb.len() > 3 && adverb.ends_with("ly") => after,
        _ => rest,
    };
    match rest.split_first() {
        Some((preposition, answer)) if PREPOSITIONS.contains(preposition) && !answer.is_empty() => {
            answer
        }
        _ => tokens,
    }
}

/// `tokens` without a closing parenthesis or a clause after a comma that says more about the
/// answer ("mount everest, which …", "mount everest, located in nepal").
fn without_aside<'t, 's>(tokens: &'t [&'s str]) -> &'t [&'s str] {
    let parenthesis = tokens.iter().position(|t| t.starts_with('(')).filter(|&at| at > 0);
    let tokens = match parenthesis {
        Some(at)
            if tokens.last().is_some_and(|t| t.ends_with(')'))
                && !is_label(tokens.get(at..).unwrap_or_default()) =>
        {
            tokens.get(..at).unwrap_or(tokens)
        }
        _ => tokens,
    };
    let clause = tokens.windows(2).position(|pair| match pair {
        [before, after] => {
            before.ends_with(',')
                && (CLAUSE_OPENERS.contains(&bare(after)) || is_participle(bare(after)))
        }
        _ => false,
    });
    match clause {
        Some(at) => tokens.get(..=at).unwrap_or(tokens),
        None => tokens,
    }
}

/// Whether a parenthesis is a label that tells answers apart ("option (b)", "step (2)",
/// "part (iii)") rather than an aside: one letter, a number or a roman numeral.
fn is_label(parenthesis: &[&str]) -> bool {
    let inner = parenthesis.join(" ");
    let inner = inner.trim_matches(|c: char| c == '(' || c == ')' || c == '.' || c == ',');
    inner.chars().count() <= 1
        || inner.chars().all(|c| c.is_ascii_digit())
        || inner.chars().all(|c| "ivxlcdm".contains(c))
}

/// Whether `word` reads as a past participle ("located", "written", "known").
fn is_participle(word: &str) -> bool {
    IRREGULAR_PARTICIPLES.contains(&word)
        || (word.len() > 4 && word.ends_with("ed"))
        || (word.len() > 5 && word.ends_with("en"))
}

/// `word` without a plural or tense ending, for comparing words only. Written here rather than
/// taken from a stemming crate: the ends rule needs "absorbed" ~ "absorb" and "makes" ~ "make",
/// nothing finer, and a Porter or Snowball stemmer's tables would grow the npm package's wasm.
fn stem(word: &str) -> &str {
    ["ing", "ed", "es", "s"]
        .iter()
        .find_map(|ending| word.strip_suffix(ending).filter(|root| root.len() >= 3))
        .unwrap_or(word)
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
mod tests;
