//! `thinkscale eval`: a strategy over problems of a dataset, one line per problem and a summary
//! (accuracy, samples, tokens, wall time) — the harness for the README's benchmarks.
//!
//! Word problems (GSM8K, SVAMP) are right when the extracted number equals the gold one. Game of
//! 24 puzzles have no gold answer: the chosen text's expression is checked exactly (rational
//! arithmetic, each number once, equal to 24), and that checker is also the verifier best-of-n
//! uses with `--judge verifier`. HumanEval problems (`HumanEval.jsonl`) are right when the
//! chosen reply's program passes the problem's hidden tests ([`crate::programs`]).
//! `--compare-selection` judges one set of samples several ways ([`crate::selection`]).

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::Value;
use thinkscale_engine::NodeKind;
use thinkscale_engine::model::{BoxModel, Cascade, FinishReason};
use thinkscale_engine::prelude::*;
use thinkscale_engine::prompt::Exemplar;
use thinkscale_engine::state::NodeStatus;
use thinkscale_engine::strategy::{StrategyConfig, ThoughtPrompts};
use thinkscale_engine::tasks::{Game24, Verdict24};

use crate::args::EvalArgs;
use crate::programs::{PROGRAM_INSTRUCTION, Program};
use crate::progress::printable;

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
const GAME24_INSTRUCTION: &str =
    "Show your steps, then finish with a last line \"The answer is: <expression> = 24\".";

/// A worked Game of 24 example for chain-of-thought prompts (few-shot, as in the Tree of
/// Thoughts paper's baselines; the puzzle is not in the benchmark range).
fn game24_exemplar() -> Exemplar {
    Exemplar {
        question: game24_question(&Game24::new([2, 3, 5, 7])),
        reasoning: "5 - 2 = 3 (left: 3 3 7)\n3 * 7 = 21 (left: 3 21)\n3 + 21 = 24 (left: 24)"
            .to_owned(),
        answer: "(5 - 2) + 3 * 7 = 24".to_owned(),
    }
}

/// Reads GSM8K, SVAMP or HumanEval JSON lines, or the Game of 24 CSV.
fn problems(text: &str, skip: usize, limit: usize) -> Result<Vec<Problem>, String> {
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

/// The strategy for one problem: a tree search on a Game of 24 puzzle uses the Game of 24
/// prompts, starting from the puzzle's numbers.
/// Chain-of-thought prompts on a Game of 24 puzzle get one worked example.
fn strategy_for(strategy: &StrategyConfig, gold: &Gold) -> StrategyConfig {
    let mut strategy = strategy.clone();
    let Gold::Game24(puzzle) = gold else { return strategy };
    let prompting = match &mut strategy {
        StrategyConfig::TreeOfThoughts(tree) => {
            tree.prompts = ThoughtPrompts::game24();
            tree.initial_state = Some(puzzle.to_string());
            None
        }
        StrategyConfig::ChainOfThought(s) => Some(&mut s.prompting),
        StrategyConfig::SelfConsistency(s) => Some(&mut s.prompting),
        StrategyConfig::AdaptiveConsistency(s) => Some(&mut s.prompting),
        StrategyConfig::BestOfN(s) => Some(&mut s.prompting),
        StrategyConfig::SelfRefine(s) => Some(&mut s.prompting),
        StrategyConfig::AdaptiveAllocation(s) => Some(&mut s.prompting),
        _ => None,
    };
    if let Some(prompting) = prompting {
        // The paper's few-shot form: the example's steps, no "think step by step" trigger.
        prompting.exemplars = vec![game24_exemplar()];
        prompting.trigger = "Write the steps in the form of the example.".to_owned();
    }
    strategy
}

/// Runs `thinkscale eval`.
pub(crate) async fn eval(args: EvalArgs) -> Result<ExitCode, String> {
    let text = std::fs::read_to_string(&args.data)
        .map_err(|e| format!("cannot read {}: {e}", args.data.display()))?;
    let problems = problems(&text, args.skip, args.limit)?;
    let model = match (args.setup.models.model()?, args.setup.models.escalation_model()?) {
        (model, Some(stronger)) => BoxModel::new(Cascade::new(model, stronger)),
        (model, None) => model,
    };
    if args.compare_selection {
        crate::selection::compare(&args, &problems, &model).await?;
        return Ok(ExitCode::SUCCESS);
    }
    evaluate(&args, &problems, &model).await
}

/// Runs every problem on `model` and prints a line each and the summary.
async fn evaluate<M: Model>(
    args: &EvalArgs,
    problems: &[Problem],
    model: &M,
) -> Result<ExitCode, String> {
    let strategy = args.setup.strategy();
    let mut traces = match &args.traces {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?,
        )),
        None => None,
    };
    let (mut correct, mut samples, mut tokens) = (0u32, 0u64, 0u64);
    let mut buckets = TextBuckets::default();
    let started = Instant::now();
    for (index, problem) in problems.iter().enumerate() {
        let mut runner = Runner::new(model).budget(args.setup.budget());
        let mut task = args.setup.task(&problem.question)?;
        if let Gold::Game24(puzzle) = &problem.gold {
            let checker = *puzzle;
            runner = runner.verifier(move |_: &str, node: &thinkscale_engine::state::Node| {
                Some(checker.verifier_score(&node.text))
            });
            task = task.extractor(Extractor::AnswerIs).instruction(GAME24_INSTRUCTION);
        }
        if let Gold::Program(_) = &problem.gold {
            task = task.extractor(Extractor::FreeForm).instruction(PROGRAM_INSTRUCTION);
        }
        let began = Instant::now();
        let mut recording = RecordingSink::new();
        let outcome = runner
            .run(&strategy_for(&strategy, &problem.gold), &task, &mut recording)
            .await
            .map_err(|e| format!("problem {}: {e}", index + 1))?;
        let right = match (&problem.gold, &outcome.answer, outcome.text.as_deref()) {
            // A number is right when the voted answer is: the key the vote counted.
            (Gold::Number(gold), Some(answer), _) => Extractor::number()
                .compile()
                .ok()
                .and_then(|number| number.extract(&format!("#### {gold}"), FinishReason::Stop))
                .is_some_and(|gold| gold.key == answer.key),
            (Gold::Number(_), None, _) | (_, _, None) => false,
            (gold, _, Some(text)) => gold.accepts(text).await,
        };
        let gold = problem.gold.shown();
        let trace = recording.into_trace();
        if let Gold::Text(_) = &problem.gold {
            let state = trace.replay().map_err(|e| e.to_string())?;
            buckets.add(&problem.gold, &state).await;
        }
        if let Some(file) = traces.as_mut() {
            let json = trace.to_json().map_err(|e| e.to_string())?;
            writeln!(file, "{}", json.replace('\n', " ")).map_err(|e| e.to_string())?;
        }
        correct += u32::from(right);
        let calls = outcome.succeeded + outcome.failed + outcome.cancelled;
        samples += u64::from(calls);
        tokens += outcome.spend.total_tokens();
        println!(
            "{:>3}  {}  answer {:>24}  gold {:>8}  calls {:>3}  tokens {:>6}  {:>6.1}s",
            args.skip + index + 1,
            if right { "✓" } else { "✗" },
            outcome.answer.map_or("-".to_owned(), |a| printable(&a.text)),
            gold,
            calls,
            outcome.spend.total_tokens(),
            began.elapsed().as_secs_f64()
        );
    }
    if let Some(file) = traces.as_mut() {
        file.flush().map_err(|e| e.to_string())?;
    }
    let count = problems.len().max(1) as f64;
    println!(
        "summary  strategy {:?}  problems {}  accuracy {}/{} ({:.0}%)  calls {} ({:.1}/problem)  tokens {} ({:.0}/problem)  wall {:.1}s",
        args.setup.strategy,
        problems.len(),
        correct,
        problems.len(),
        f64::from(correct) * 100.0 / count,
        samples,
        samples as f64 / count,
        tokens,
        tokens as f64 / count,
        started.elapsed().as_secs_f64()
    );
    buckets.report();
    Ok(ExitCode::SUCCESS)
}

/// How well the text vote keeps one answer in one bucket: over the problems with two or more
/// right samples (judged by [`Gold::accepts`], independently of the vote's keys), how often all
/// of them share one key, and what share of right samples sit in their problem's biggest right
/// bucket.
#[derive(Debug, Default)]
struct TextBuckets {
    /// Problems with at least two right samples.
    problems: u32,
    /// Of those, problems whose right samples all share one key.
    merged: u32,
    /// Right samples, and those in their problem's biggest right bucket.
    right: u32,
    in_biggest: u32,
}

impl TextBuckets {
    async fn add(&mut self, gold: &Gold, state: &thinkscale_engine::state::RunState) {
        let mut keys: Vec<String> = Vec::new();
        for node in state.nodes.iter().filter(|n| n.kind == NodeKind::Sample) {
            if node.status == NodeStatus::Done && gold.accepts(&node.text).await {
                keys.push(node.answer.as_ref().map_or_else(String::new, |a| a.key.clone()));
            }
        }
        if keys.len() < 2 {
            return;
        }
        let mut sizes = std::collections::HashMap::<&str, u32>::new();
        for key in &keys {
            *sizes.entry(key).or_default() += 1;
        }
        let biggest = sizes.iter().filter(|(key, _)| !key.is_empty()).map(|(_, n)| *n).max();
        self.problems += 1;
        self.merged += u32::from(sizes.len() == 1 && !sizes.contains_key(""));
        self.right += keys.len() as u32;
        self.in_biggest += biggest.unwrap_or(0);
        println!("      right samples {}, in {} bucket(s): {:?}", keys.len(), sizes.len(), sizes);
    }

    fn report(&self) {
        if self.problems == 0 {
            return;
        }
        println!(
            "text buckets  problems with ≥ 2 right samples {}  all right samples in one bucket {} ({:.0}%)  right samples in the biggest right bucket {}/{} ({:.0}%)",
            self.problems,
            self.merged,
            f64::from(self.merged) * 100.0 / f64::from(self.problems),
            self.in_biggest,
            self.right,
            f64::from(self.in_biggest) * 100.0 / f64::from(self.right.max(1)),
        );
    }
}
