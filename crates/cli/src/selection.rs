//! `thinkscale eval --compare-selection`: N samples per problem, drawn once, then judged four
//! ways on those same samples — one sample alone (the mean over the N), the extracted answers'
//! majority vote, clusters of the whole replies, and universal self-consistency's selector. The
//! two free-form methods never see an extracted answer: the reply they choose is graded after.
//!
//! This is the benchmark behind the README's free-form table. Sharing the samples
//! ([`SharedSamples`]) makes the comparison paired — differences come from how each method
//! chooses, not from different luck in sampling — and costs one set of samples instead of three.

use std::time::Instant;

use thinkscale_engine::cluster::Aggregate;
use thinkscale_engine::prelude::*;
use thinkscale_engine::state::NodeStatus;
use thinkscale_engine::strategy::{Sampling, SelfConsistency, UniversalSelfConsistency};
use thinkscale_engine::{NodeKind, Outcome};

use crate::args::EvalArgs;
use crate::problems::{Gold, Problem};
use crate::shared_samples::SharedSamples;

/// The methods compared, in table order.
const METHODS: [&str; 4] =
    ["one sample", "extracted vote", "clusters (free-form)", "USC (free-form)"];

/// What one method scored over the problems.
#[derive(Debug, Default, Clone, Copy)]
struct Score {
    /// Problems right (for "one sample": the sum over problems of the share of right samples).
    right: f64,
    /// Tokens the method spent (for "one sample": the mean sample's).
    tokens: u64,
}

/// Runs the comparison over `problems` and prints a line per problem and the table; `shared`
/// keeps the samples (in a file with `--samples`), so every method sees the same ones.
pub(crate) async fn compare<M: Model>(
    args: &EvalArgs,
    problems: &[Problem],
    model: &M,
    shared: &SharedSamples,
) -> Result<(), String> {
    let setup = &args.setup;
    let sampling = Sampling {
        temperature: Some(setup.temperature),
        max_tokens: setup.max_tokens,
        seed: setup.seed,
        ..Sampling::default()
    };
    let samples = setup.n;
    let voting = SelfConsistency {
        samples,
        concurrency: setup.concurrency,
        sampling: sampling.clone(),
        aggregate: Aggregate::Vote,
        ..Default::default()
    };
    let clustering = SelfConsistency { aggregate: Aggregate::Auto, ..voting.clone() };
    let selecting = UniversalSelfConsistency {
        samples,
        concurrency: setup.concurrency,
        sampling,
        ..Default::default()
    };
    let mut scores = [Score::default(); 4];
    let started = Instant::now();
    for (index, problem) in problems.iter().enumerate() {
        let began = Instant::now();
        let (extracted, free_form) = tasks_for(problem);
        let run = |strategy: StrategyConfig, task: Task| async move {
            let mut recording = RecordingSink::new();
            let outcome = Runner::new(&shared.replaying(model))
                .run(&strategy, &task, &mut recording)
                .await
                .map_err(|e| format!("problem {}: {e}", index + 1))?;
            let state = recording.into_trace().replay().map_err(|e| e.to_string())?;
            Ok::<_, String>((outcome, state))
        };
        let (voted, state) =
            run(StrategyConfig::SelfConsistency(voting.clone()), extracted).await?;
        let clustered = run(StrategyConfig::SelfConsistency(clustering.clone()), free_form.clone());
        let (clustered, _) = clustered.await?;
        let selected = run(StrategyConfig::UniversalSelfConsistency(selecting.clone()), free_form);
        let (selected, _) = selected.await?;

        // One sample: every sample the vote drew, graded alone (a failed one is wrong).
        let mut one = 0.0;
        for node in state.nodes.iter().filter(|n| n.kind == NodeKind::Sample) {
            if node.status == NodeStatus::Done && problem.gold.accepts(&node.text).await {
                one += 1.0;
            }
        }
        let one = one / f64::from(samples.max(1));
        // Programs have no answer to extract: their vote is not a method (shown as "–").
        let mark = |right: bool| f64::from(u8::from(right));
        let vote = match problem.gold.votes() {
            true => mark(graded(&problem.gold, &voted).await),
            false => f64::NAN,
        };
        let marks = [
            one,
            vote,
            mark(graded(&problem.gold, &clustered).await),
            mark(graded(&problem.gold, &selected).await),
        ];
        let spent = [
            voted.spend.total_tokens() / u64::from(samples.max(1)),
            voted.spend.total_tokens(),
            clustered.spend.total_tokens(),
            selected.spend.total_tokens(),
        ];
        for ((score, mark), tokens) in scores.iter_mut().zip(marks).zip(spent) {
            score.right += mark;
            score.tokens += tokens;
        }
        let tick = |m: f64| match m {
            m if m.is_nan() => "–",
            m if m >= 1.0 => "✓",
            _ => "✗",
        };
        println!(
            "{:>4}  gold {:>10}  one {:>4.2}  vote {}  clusters {}  usc {}  tokens {:>6}  {:>6.1}s",
            args.skip + index + 1,
            problem.gold.shown(),
            marks[0],
            tick(marks[1]),
            tick(marks[2]),
            tick(marks[3]),
            selected.spend.total_tokens(),
            began.elapsed().as_secs_f64()
        );
    }
    let count = problems.len().max(1) as f64;
    println!("| method (N = {samples}, the same samples) | accuracy | tokens / problem |");
    println!("|---|---|---|");
    for (name, score) in METHODS.iter().zip(scores) {
        if score.right.is_nan() {
            println!("| {name} | – (nothing to extract) | – |");
            continue;
        }
        println!(
            "| {name} | {:.1}% ({:.1}/{}) | {:.0} |",
            score.right * 100.0 / count,
            score.right,
            problems.len(),
            score.tokens as f64 / count
        );
    }
    println!(
        "summary  compare-selection  problems {}  wall {:.1}s",
        problems.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The task as the vote reads it (answers extracted) and as the free-form methods read it (no
/// answer key, the same instruction, so that every method is asked — and answered — alike).
fn tasks_for(problem: &Problem) -> (Task, Task) {
    let (extractor, instruction) = problem.gold.answer_format();
    let extracted = Task::new(&problem.question).extractor(extractor).instruction(instruction);
    let free_form =
        Task::new(&problem.question).extractor(Extractor::FreeForm).instruction(instruction);
    (extracted, free_form)
}

/// Whether the reply a method chose is right (no reply: wrong).
async fn graded(gold: &Gold, outcome: &Outcome) -> bool {
    match outcome.text.as_deref() {
        Some(text) => gold.accepts(text).await,
        None => false,
    }
}
