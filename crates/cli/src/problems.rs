//! The problems `thinkscale eval` reads and how each answer is judged: GSM8K and SVAMP (the
//! extracted number equals the gold one), the Game of 24 (the chosen text's expression checked
//! exactly: rational arithmetic, each number once, equal to 24 — the checker best-of-n's
//! `--judge verifier` uses too), HumanEval (the program passes the hidden tests,
//! [`crate::programs`]) and short factual questions with accepted variants (`accept`).

use serde_json::Value;
use thinkscale_engine::Extractor;
use thinkscale_engine::model::FinishReason;
use thinkscale_engine::prompt::Exemplar;
use thinkscale_engine::tasks::{Game24, Verdict24};

use crate::programs::{PROGRAM_INSTRUCTION, Program};

/// How a problem's answer is judged.
pub(crate) enum Gold {
    /// The extracted number must equal this one.
    Number(String),
    /// The chosen text must hold an expression that solves this puzzle.
    Game24(Game24),
    /// The chosen text's program must pass these hidden tests.
    Program(Box<Program>),
    /// The chosen text's last line must say one of these (whole words, any case): a short
    /// factual answer.
    Text(Vec<String>),
}

impl Gold {
    /// Whether `text` (a whole reply) is right.
    pub(crate) async fn accepts(&self, text: &str) -> bool {
        match self {
            Gold::Number(gold) => {
                let number = Extractor::number().compile().ok();
                let read = |t: &str| number.as_ref()?.extract(t, FinishReason::Stop);
                matches!((read(text), read(&format!("#### {gold}"))), (Some(a), Some(g)) if a.key == g.key)
            }
            Gold::Game24(puzzle) => puzzle.check_answer(text) == Verdict24::Solved,
            Gold::Program(program) => program.passes(text).await,
            Gold::Text(accepted) => {
                // The reply's last line is its final word: a right name mentioned on the way
                // to a wrong answer does not count.
                let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
                let said = words(last);
                accepted.iter().any(|variant| said.contains(&words(variant)))
            }
        }
    }

    /// The gold answer as a table shows it.
    pub(crate) fn shown(&self) -> String {
        match self {
            Gold::Number(gold) => gold.clone(),
            Gold::Game24(puzzle) => puzzle.to_string(),
            Gold::Program(program) => program.task_id.clone(),
            Gold::Text(accepted) => accepted.first().cloned().unwrap_or_default(),
        }
    }

    /// How the answer is read and asked for: an extractor and the instruction that goes with it.
    pub(crate) fn answer_format(&self) -> (Extractor, &'static str) {
        match self {
            Gold::Number(_) => {
                let number = Extractor::number();
                let instruction = number.instruction();
                (number, instruction)
            }
            Gold::Game24(_) => (Extractor::AnswerIs, GAME24_INSTRUCTION),
            Gold::Program(_) => (Extractor::FreeForm, PROGRAM_INSTRUCTION),
            Gold::Text(_) => (Extractor::Auto, Extractor::Auto.instruction()),
        }
    }

    /// Whether answers can be extracted and voted on (not for programs).
    pub(crate) fn votes(&self) -> bool {
        !matches!(self, Gold::Program(_))
    }
}

/// `text` lowercased with every run of non-alphanumerics as one space, padded with spaces, so
/// that `contains` matches whole words.
fn words(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { ' ' })
        .collect();
    format!(" {} ", spaced.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A problem and how to judge it.
pub(crate) struct Problem {
    /// What the model is asked.
    pub(crate) question: String,
    /// How its answer is judged.
    pub(crate) gold: Gold,
}

/// The Game of 24 question; the answer line is what the checker reads.
fn game24_question(puzzle: &Game24) -> String {
    format!(
        "Use the numbers {puzzle} and basic arithmetic operations (+ - * /) to obtain 24. Use \
         each number exactly once."
    )
}

/// The Game of 24's answer format, replacing the extractor's instruction.
pub(crate) const GAME24_INSTRUCTION: &str =
    "Show your steps, then finish with a last line \"The answer is: <expression> = 24\".";

/// A worked Game of 24 example for chain-of-thought prompts (few-shot, as in the Tree of
/// Thoughts paper's baselines; the puzzle is not in the benchmark range).
pub(crate) fn game24_exemplar() -> Exemplar {
    Exemplar {
        question: game24_question(&Game24::new([2, 3, 5, 7])),
        reasoning: "5 - 2 = 3 (left: 3 3 7)\n3 * 7 = 21 (left: 3 21)\n3 + 21 = 24 (left: 24)"
            .to_owned(),
        answer: "(5 - 2) + 3 * 7 = 24".to_owned(),
    }
}

/// Reads GSM8K, SVAMP or HumanEval JSON lines, or the Game of 24 CSV.
pub(crate) fn problems(text: &str, skip: usize, limit: usize) -> Result<Vec<Problem>, String> {
    let lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    if text.starts_with("Rank,Puzzles") {
        return lines
            .skip(1 + skip)
            .take(limit)
            .map(|(number, line)| {
                let puzzle = line.split(',').nth(1).and_then(Game24::parse);
                let puzzle = puzzle.ok_or(format!("line {}: no puzzle", number + 1))?;
                Ok(Problem { question: game24_question(&puzzle), gold: Gold::Game24(puzzle) })
            })
            .collect();
    }
    let mut problems = Vec::new();
    for (number, line) in lines.skip(skip).take(limit) {
        let row: Value =
            serde_json::from_str(line).map_err(|e| format!("line {}: {e}", number + 1))?;
        let field = |name: &str| row.get(name).and_then(Value::as_str).map(str::to_owned);
        let problem =
            if let (Some(question), Some(accepted)) = (field("question"), row.get("accept")) {
                let accepted: Vec<String> = serde_json::from_value(accepted.clone())
                    .map_err(|e| format!("line {}: `accept` must list strings: {e}", number + 1))?;
                Problem { question, gold: Gold::Text(accepted) }
            } else if row.get("entry_point").is_some() {
                let program: Program = serde_json::from_value(row)
                    .map_err(|e| format!("line {}: not a HumanEval problem: {e}", number + 1))?;
                if program.held_out() {
                    return Err(format!(
                        "{}: HumanEval problems 120–163 are kept for independent checks; \
                         keep --skip and --limit within 0–119",
                        program.task_id
                    ));
                }
                Problem { question: program.question(), gold: Gold::Program(Box::new(program)) }
            } else if let (Some(question), Some(answer)) = (field("question"), field("answer")) {
                let gold = answer.rsplit("####").next().unwrap_or_default().trim().to_owned();
                Problem { question, gold: Gold::Number(gold) }
            } else if let (Some(body), Some(question)) = (field("Body"), field("Question")) {
                let gold = row.get("Answer").map(|a| a.to_string()).unwrap_or_default();
                Problem { question: format!("{body} {question}"), gold: Gold::Number(gold) }
            } else {
                return Err(format!(
                    "line {}: neither GSM8K, SVAMP, HumanEval nor Game of 24",
                    number + 1
                ));
            };
        problems.push(problem);
    }
    Ok(problems)
}
