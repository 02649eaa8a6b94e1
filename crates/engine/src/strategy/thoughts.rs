//! The prompts of tree search and how their replies are read: proposing next steps, valuing a
//! state (sure / likely / impossible), voting among states, and the final answer.
//!
//! Templates are plain text with placeholders, so callers can replace any of them: `{question}`
//! (the task), `{initial}` (the search's initial state), `{state}` (the current state, as the
//! preset reads it from the last step — see [`PromptPreset::state_after`] — or the initial
//! state before any step), `{steps}` (the
//! steps so far, one per line), `{k}` (proposals wanted), `{candidates}` (numbered next steps, for
//! votes) and `{instruction}` (how to state the final answer, from the task's extractor). The
//! `game24` preset follows the shape of the Tree of Thoughts paper's Game of 24 prompts, with
//! examples of our own.

use serde::{Deserialize, Serialize};

use crate::prompt::render;

/// Which built-in set of templates a search starts from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum PromptPreset {
    /// Questions in general: steps are short lines of reasoning.
    #[default]
    General,
    /// The Game of 24: a state is the numbers left, a step combines two of them.
    Game24,
}

impl PromptPreset {
    /// The state a step leads to, as `{state}` shows it. In general a step is its own state; a
    /// Game of 24 step `a op b = c (left: …)` leaves the numbers after `left:` (the whole step
    /// if it has none).
    pub fn state_after(self, step: &str) -> String {
        match self {
            Self::General => step.to_owned(),
            Self::Game24 => {
                let lower = step.to_ascii_lowercase();
                match lower.rfind("left:") {
                    Some(at) => {
                        let rest = step.get(at + 5..).unwrap_or_default();
                        rest.split(')').next().unwrap_or_default().trim().to_owned()
                    }
                    None => step.to_owned(),
                }
            }
        }
    }
}

/// The templates of a tree search: a preset, with any template replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ThoughtPrompts {
    /// The preset the other fields override.
    pub preset: PromptPreset,
    /// Asks for up to `{k}` next steps, one per line (generator `propose`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub propose: Option<String>,
    /// Asks for one next step (generator `sample`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<String>,
    /// Asks whether a state can still reach the answer: sure, likely or impossible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Asks which of `{candidates}` is most promising: "The best choice is N".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vote: Option<String>,
    /// Asks for the final answer from the steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

/// The resolved templates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Templates<'a> {
    pub(crate) propose: &'a str,
    pub(crate) sample: &'a str,
    pub(crate) value: &'a str,
    pub(crate) vote: &'a str,
    pub(crate) answer: &'a str,
}

impl ThoughtPrompts {
    /// The Game of 24 preset.
    pub fn game24() -> Self {
        Self { preset: PromptPreset::Game24, ..Self::default() }
    }

    pub(crate) fn templates(&self) -> Templates<'_> {
        let preset = match self.preset {
            PromptPreset::General => GENERAL,
            PromptPreset::Game24 => GAME24,
        };
        Templates {
            propose: self.propose.as_deref().unwrap_or(preset.propose),
            sample: self.sample.as_deref().unwrap_or(preset.sample),
            value: self.value.as_deref().unwrap_or(preset.value),
            vote: self.vote.as_deref().unwrap_or(preset.vote),
            answer: self.answer.as_deref().unwrap_or(preset.answer),
        }
    }
}

const GENERAL: Templates<'static> = Templates {
    propose: "{question}\n\nSteps so far:\n{steps}\n\nPropose {k} different possible next steps \
toward the answer. Write one step per line, each a single short step, and nothing else. Do not \
solve the whole problem at once.",
    sample: "{question}\n\nSteps so far:\n{steps}\n\nWrite only the next single step toward the \
answer, in one line.",
    value: "{question}\n\nPartial solution:\n{steps}\n\nCan this partial solution still lead to a \
correct answer? Think briefly, then write one word on the last line: sure, likely or impossible.",
    vote: "{question}\n\nSteps so far:\n{steps}\n\nCandidate next steps:\n{candidates}\n\nWhich \
candidate is most promising? Think briefly, then finish with a last line \"The best choice is \
<number>\".",
    answer: "{question}\n\nSteps:\n{steps}\n\nUsing these steps, give the final answer. \
{instruction}",
};

const GAME24: Templates<'static> = Templates {
    propose: "Combine two of the numbers with one of + - * / to make one number. List possible next \
steps, one per line, exactly in the form of the example.\nInput: 3 5 7 9\nPossible next steps:\n\
3 + 5 = 8 (left: 7 8 9)\n9 - 7 = 2 (left: 2 3 5)\n3 * 5 = 15 (left: 7 9 15)\n\
7 + 9 = 16 (left: 3 5 16)\n9 / 3 = 3 (left: 3 5 7)\n5 - 3 = 2 (left: 2 7 9)\n\
7 * 3 = 21 (left: 5 9 21)\n9 - 5 = 4 (left: 3 4 7)\nInput: {state}\nPossible next steps:\n",
    sample: "Combine two of the numbers with one of + - * / to make one number, in the form \
\"a op b = c (left: the numbers left)\".\nInput: 3 5 7 9\nNext step: 3 * 5 = 15 (left: 7 9 15)\n\
Input: {state}\nNext step:",
    value: "Evaluate whether the numbers can reach 24 with + - * / (sure, likely or impossible).\n\
2 3 4\n2 * 3 * 4 = 24\nsure\n1 2 3\n1 + 2 + 3 = 6\n(1 + 2) * 3 = 9\nthe numbers are too small\n\
impossible\n5 19\n5 + 19 = 24\nsure\n2 9\n2 + 9 = 11\n2 * 9 = 18\n9 - 2 = 7\nimpossible\n\
5 7 8\n5 + 7 + 8 = 20\n(8 - 5) * 7 = 21\nnot 24 yet, but the numbers are in a reasonable range\n\
likely\n{state}\n",
    vote: "Use the numbers and + - * / to obtain 24.\nInput: {initial}\nSteps so far:\n{steps}\n\n\
Candidate next steps:\n{candidates}\n\nWhich candidate leaves numbers that can most surely reach \
24? Think briefly, then finish with a last line \"The best choice is <number>\".",
    answer: "Use the numbers and + - * / to obtain 24, each input number exactly once. Turn the \
steps into one expression.\nInput: 2 3 5 7\nSteps:\n5 - 2 = 3 (left: 3 3 7)\n\
3 * 7 = 21 (left: 3 21)\n3 + 21 = 24 (left: 24)\nAnswer: (5 - 2) + 3 * 7 = 24\n\
Input: {initial}\nSteps:\n{steps}\n",
};

/// What a template is filled from.
#[derive(Debug, Clone)]
pub(crate) struct Frame<'a> {
    pub(crate) question: &'a str,
    pub(crate) initial: &'a str,
    pub(crate) instruction: &'a str,
    /// How a step is read as a state.
    pub(crate) preset: PromptPreset,
    /// The steps from the root to the state, in order.
    pub(crate) steps: Vec<String>,
}

impl Frame<'_> {
    /// The current state: what the last step leads to (read by the preset), else the initial
    /// state.
    pub(crate) fn state(&self) -> String {
        match self.steps.last() {
            Some(last) => self.preset.state_after(last),
            None => self.initial.to_owned(),
        }
    }

    /// `template` with the placeholders filled; `k` and `candidates` where the caller has them.
    pub(crate) fn fill(&self, template: &str, k: u32, candidates: &[&str]) -> String {
        let steps =
            if self.steps.is_empty() { "(none yet)".to_owned() } else { self.steps.join("\n") };
        let numbered: Vec<String> =
            candidates.iter().enumerate().map(|(i, c)| format!("{}. {c}", i + 1)).collect();
        let (state, k, candidates) = (self.state(), k.to_string(), numbered.join("\n"));
        let values = [
            ("question", self.question),
            ("initial", self.initial),
            ("instruction", self.instruction),
            ("state", state.as_str()),
            ("steps", steps.as_str()),
            ("k", k.as_str()),
            ("candidates", candidates.as_str()),
        ];
        render(template, &values)
    }
}

/// The steps a proposal lists: its non-empty lines without bullets or numbering, skipping
/// headings and repeats, at most `limit`.
pub(crate) fn proposed_steps(text: &str, limit: usize) -> Vec<String> {
    let mut steps: Vec<String> = Vec::new();
    for line in text.lines() {
        let step = line.trim().trim_start_matches(['-', '*', '•']).trim_start();
        let step = strip_numbering(step).trim();
        let heading = step.ends_with(':') || step.to_ascii_lowercase().starts_with("input");
        if step.is_empty() || heading || steps.iter().any(|s| s == step) {
            continue;
        }
        steps.push(step.to_owned());
        if steps.len() >= limit {
            break;
        }
    }
    steps
}

/// `3. foo` or `3) foo` → `foo`; anything else unchanged.
fn strip_numbering(line: &str) -> &str {
    let digits = line.find(|c: char| !c.is_ascii_digit()).unwrap_or(line.len());
    if digits == 0 || digits > 2 {
        return line;
    }
    match line.get(digits..) {
        Some(rest) if rest.starts_with(". ") || rest.starts_with(") ") => {
            rest.get(2..).unwrap_or("")
        }
        _ => line,
    }
}

/// A state's value from an evaluation's text: the last verdict word it writes — `sure` (1),
/// `likely` (0.5), `impossible` or `unlikely` (0) — as a whole word, skipping negated ones
/// ("not sure"); `None` when it gives none.
pub(crate) fn parse_value(text: &str) -> Option<f64> {
    let lower = text.to_ascii_lowercase();
    let words: Vec<&str> =
        lower.split(|c: char| !c.is_ascii_alphabetic()).filter(|w| !w.is_empty()).collect();
    let mut verdict = None;
    let mut previous = "";
    for word in words {
        let value = match word {
            "sure" => Some(1.0),
            "likely" => Some(0.5),
            "impossible" | "unlikely" => Some(0.0),
            _ => None,
        };
        if let Some(value) = value.filter(|_| previous != "not") {
            verdict = Some(value);
        }
        previous = word;
    }
    verdict
}

/// The candidate (0-based) a vote chose: the number after the last "best choice is", or else the
/// last number in the text, if it names one of `count` candidates.
pub(crate) fn parse_choice(text: &str, count: usize) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let tail = lower.rfind("best choice").and_then(|at| lower.get(at..)).unwrap_or(&lower);
    let number: String = tail
        .split(|c: char| !c.is_ascii_digit())
        .find(|part| !part.is_empty())
        .or_else(|| lower.split(|c: char| !c.is_ascii_digit()).rfind(|part| !part.is_empty()))?
        .to_owned();
    let choice: usize = number.parse().ok()?;
    (1..=count).contains(&choice).then(|| choice - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(steps: &[&str]) -> Frame<'static> {
        Frame {
            question: "Make 24 from 4 4 6 8.",
            initial: "4 4 6 8",
            instruction: "",
            preset: PromptPreset::Game24,
            steps: steps.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn the_state_is_what_the_last_step_left() {
        assert_eq!(frame(&[]).state(), "4 4 6 8");
        assert_eq!(frame(&["4 + 8 = 12 (left: 4 6 12)"]).state(), "4 6 12");
        assert_eq!(frame(&["First, add the apples."]).state(), "First, add the apples.");
        // In general a step is its own state, even one that happens to say "left:".
        let general = Frame { preset: PromptPreset::General, ..frame(&["Turn left: then 3 km"]) };
        assert_eq!(general.state(), "Turn left: then 3 km");
        let prompt = frame(&["4 + 8 = 12 (left: 4 6 12)"]).fill(GAME24.propose, 5, &[]);
        assert!(prompt.ends_with("Input: 4 6 12\nPossible next steps:\n"), "{prompt}");
    }

    #[test]
    fn proposals_are_split_into_distinct_steps() {
        let text = "Possible next steps:\n1. 4 + 8 = 12 (left: 4 6 12)\n- 6 - 4 = 2 (left: 2 4 8)\n\n\
                    2) 4 + 8 = 12 (left: 4 6 12)\n* 8 / 4 = 2 (left: 2 4 6)";
        assert_eq!(
            proposed_steps(text, 5),
            ["4 + 8 = 12 (left: 4 6 12)", "6 - 4 = 2 (left: 2 4 8)", "8 / 4 = 2 (left: 2 4 6)"]
        );
        assert_eq!(proposed_steps(text, 1).len(), 1);
    }

    #[test]
    fn values_and_choices_are_read_from_the_last_verdict() {
        assert_eq!(parse_value("10 + 14 = 24\nsure"), Some(1.0));
        assert_eq!(parse_value("It is not sure... I think it is impossible"), Some(0.0));
        assert_eq!(parse_value("Likely."), Some(0.5));
        assert_eq!(parse_value("no idea"), None);
        assert_eq!(parse_value("I am not sure. Unlikely."), Some(0.0));
        assert_eq!(parse_value("Let me measure: likely"), Some(0.5));
        assert_eq!(
            frame(&[]).fill("{question} {steps}", 0, &[]),
            "Make 24 from 4 4 6 8. (none yet)"
        );
        let sneaky = Frame { question: "Say {steps}", ..frame(&["a"]) };
        assert_eq!(sneaky.fill("{question} / {steps}", 0, &[]), "Say {steps} / a", "one pass");
        assert_eq!(parse_choice("Option 1 is bad. The best choice is 3.", 4), Some(2));
        assert_eq!(parse_choice("The best choice is 9", 4), None);
        assert_eq!(parse_choice("I pick 2", 4), Some(1));
    }
}
