//! `thinkscale eval`: a strategy over problems of a dataset, one line per problem and a summary
//! (accuracy, samples, tokens, wall time) — the harness for the README's benchmarks. What the
//! datasets are and how answers are judged: [`crate::problems`]. `--compare-selection` judges
//! one set of samples several ways ([`crate::selection`]).

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use thinkscale_engine::NodeKind;
use thinkscale_engine::model::{BoxModel, Cascade, FinishReason};
use thinkscale_engine::prelude::*;
use thinkscale_engine::state::NodeStatus;
use thinkscale_engine::strategy::{StrategyConfig, ThoughtPrompts};

use crate::args::EvalArgs;
use crate::problems::{GAME24_INSTRUCTION, Gold, Problem, game24_exemplar, problems};
use crate::programs::PROGRAM_INSTRUCTION;
use crate::progress::printable;
use crate::shared_samples::SharedSamples;

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
    let shared = match &args.samples {
        Some(path) => {
            let shared = SharedSamples::in_file(path)?;
            eprintln!("{}: {} responses kept from before", path.display(), shared.len());
            shared
        }
        None => SharedSamples::default(),
    };
    if args.compare_selection {
        crate::selection::compare(&args, &problems, &model, &shared).await?;
        return Ok(ExitCode::SUCCESS);
    }
    match args.samples {
        Some(_) => evaluate(&args, &problems, &shared.replaying(&model)).await,
        None => evaluate(&args, &problems, &model).await,
    }
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
        let free_form = task.extractor == Extractor::FreeForm;
        let right = match (&problem.gold, &outcome.answer, outcome.text.as_deref()) {
            // A number is right when the voted answer is: the key the vote counted (free-form
            // runs have no such key: their chosen reply is read, below).
            (Gold::Number(gold), Some(answer), _) if !free_form => Extractor::number()
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
