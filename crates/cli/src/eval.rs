//! `thinkscale eval`: a strategy over the first problems of a dataset, one line per problem and a
//! summary (accuracy, samples, tokens, wall time) — the harness for the README's benchmarks.

use std::process::ExitCode;
use std::time::Instant;

use serde_json::Value;
use thinkscale_engine::model::FinishReason;
use thinkscale_engine::prelude::*;

use crate::args::EvalArgs;
use crate::progress::printable;

/// A problem and its gold answer.
struct Problem {
    question: String,
    gold: String,
}

/// Reads GSM8K (`question`, `answer` ending in `#### N`) or SVAMP (`Body`, `Question`, `Answer`).
fn problems(text: &str, limit: usize) -> Result<Vec<Problem>, String> {
    let mut problems = Vec::new();
    for (number, line) in text.lines().filter(|l| !l.trim().is_empty()).take(limit).enumerate() {
        let row: Value =
            serde_json::from_str(line).map_err(|e| format!("line {}: {e}", number + 1))?;
        let field = |name: &str| row.get(name).and_then(Value::as_str).map(str::to_owned);
        let problem = if let (Some(question), Some(answer)) = (field("question"), field("answer")) {
            let gold = answer.rsplit("####").next().unwrap_or_default().trim().to_owned();
            Problem { question, gold }
        } else if let (Some(body), Some(question)) = (field("Body"), field("Question")) {
            let gold = row.get("Answer").map(|a| a.to_string()).unwrap_or_default();
            Problem { question: format!("{body} {question}"), gold }
        } else {
            return Err(format!("line {}: neither GSM8K nor SVAMP fields", number + 1));
        };
        problems.push(problem);
    }
    Ok(problems)
}

/// Runs `thinkscale eval`.
pub(crate) async fn eval(args: EvalArgs) -> Result<ExitCode, String> {
    let text = std::fs::read_to_string(&args.data)
        .map_err(|e| format!("cannot read {}: {e}", args.data.display()))?;
    let problems = problems(&text, args.limit)?;
    let model = args.setup.model()?;
    let strategy = args.setup.strategy();
    let gold_parser = Extractor::number().compile().map_err(|e| e.to_string())?;
    let (mut correct, mut samples, mut tokens) = (0u32, 0u64, 0u64);
    let started = Instant::now();
    for (index, problem) in problems.iter().enumerate() {
        let task = args.setup.task(&problem.question);
        let runner = Runner::new(&model).budget(args.setup.budget());
        let began = Instant::now();
        let outcome = runner
            .run(&strategy, &task, &mut NullSink)
            .await
            .map_err(|e| format!("problem {}: {e}", index + 1))?;
        let gold = gold_parser.extract(&format!("#### {}", problem.gold), FinishReason::Stop);
        let right = matches!((&outcome.answer, &gold), (Some(a), Some(g)) if a.key == g.key);
        correct += u32::from(right);
        samples += u64::from(outcome.succeeded + outcome.failed + outcome.cancelled);
        tokens += outcome.spend.total_tokens();
        println!(
            "{:>3}  {}  answer {:>10}  gold {:>8}  samples {:>2}  tokens {:>6}  {:>6.1}s",
            index + 1,
            if right { "✓" } else { "✗" },
            outcome.answer.map_or("-".to_owned(), |a| printable(&a.text)),
            problem.gold,
            outcome.succeeded + outcome.failed + outcome.cancelled,
            outcome.spend.total_tokens(),
            began.elapsed().as_secs_f64()
        );
    }
    let count = problems.len().max(1) as f64;
    println!(
        "summary  strategy {:?}  problems {}  accuracy {}/{} ({:.0}%)  samples {} ({:.1}/problem)  tokens {} ({:.0}/problem)  wall {:.1}s",
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
