//! `thinkscale eval`: a strategy over problems of a dataset, one line per problem and a summary
//! (accuracy, samples, tokens, wall time) — the harness for the README's benchmarks.
//!
//! Word problems (GSM8K, SVAMP) are right when the extracted number equals the gold one. Game of
//! 24 puzzles have no gold answer: the chosen text's expression is checked exactly (rational
//! arithmetic, each number once, equal to 24), and that checker is also the verifier best-of-n
//! uses with `--judge verifier`.

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::Value;
use thinkscale_engine::model::{BoxModel, Cascade, FinishReason};
use thinkscale_engine::prelude::*;
use thinkscale_engine::prompt::Exemplar;
use thinkscale_engine::strategy::{StrategyConfig, ThoughtPrompts};
use thinkscale_engine::tasks::{Game24, Verdict24};

use crate::args::EvalArgs;
use crate::progress::printable;

/// How a problem's answer is judged.
enum Gold {
    /// The extracted number must equal this one.
    Number(String),
    /// The chosen text must hold an expression that solves this puzzle.
    Game24(Game24),
}

/// A problem and how to judge it.
struct Problem {
    question: String,
    gold: Gold,
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

/// Reads GSM8K or SVAMP JSON lines, or the Game of 24 CSV.
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
        let problem = if let (Some(question), Some(answer)) = (field("question"), field("answer")) {
            let gold = answer.rsplit("####").next().unwrap_or_default().trim().to_owned();
            Problem { question, gold: Gold::Number(gold) }
        } else if let (Some(body), Some(question)) = (field("Body"), field("Question")) {
            let gold = row.get("Answer").map(|a| a.to_string()).unwrap_or_default();
            Problem { question: format!("{body} {question}"), gold: Gold::Number(gold) }
        } else {
            return Err(format!("line {}: neither GSM8K, SVAMP nor Game of 24", number + 1));
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
    let gold_parser = Extractor::number().compile().map_err(|e| e.to_string())?;
    let (mut correct, mut samples, mut tokens) = (0u32, 0u64, 0u64);
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
        let began = Instant::now();
        let mut recording = RecordingSink::new();
        let outcome = runner
            .run(&strategy_for(&strategy, &problem.gold), &task, &mut recording)
            .await
            .map_err(|e| format!("problem {}: {e}", index + 1))?;
        let (right, gold) = match &problem.gold {
            Gold::Number(gold) => {
                let key = gold_parser.extract(&format!("#### {gold}"), FinishReason::Stop);
                let right = matches!((&outcome.answer, &key), (Some(a), Some(g)) if a.key == g.key);
                (right, gold.clone())
            }
            Gold::Game24(puzzle) => {
                let text = outcome.text.as_deref().unwrap_or_default();
                (puzzle.check_answer(text) == Verdict24::Solved, puzzle.to_string())
            }
        };
        if let Some(file) = traces.as_mut() {
            let json = recording.into_trace().to_json().map_err(|e| e.to_string())?;
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
    Ok(ExitCode::SUCCESS)
}
