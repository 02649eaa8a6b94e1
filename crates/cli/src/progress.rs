//! `thinkscale run`: one question, with a live progress display on stderr (one line per branch
//! start and finish, votes, retries, errors and the stop) and the answer, spend and stop reason
//! on stdout. Ctrl-C cancels the run, which closes every request in flight.

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;

use thinkscale_engine::prelude::*;
use thinkscale_engine::{NodeId, Trace};

use crate::args::RunArgs;

/// Model text is printed as text: control characters (terminal escape sequences included) are
/// replaced, so a completion cannot rewrite the user's terminal.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\n' && c != '\t' { '\u{fffd}' } else { c })
        .collect()
}

fn one_line(text: &str, width: usize) -> String {
    let flat: String = printable(text).split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= width {
        flat
    } else {
        let cut: String = flat.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// Prints one event as a progress line; returns whether it printed anything.
pub(crate) fn describe(event: &Event, labels: &mut HashMap<NodeId, String>) -> Option<String> {
    let at = format!("{:>7.1}s", event.at_ms as f64 / 1000.0);
    let line = match &event.kind {
        EventKind::BranchStarted { id, label, .. } => {
            labels.insert(*id, label.clone());
            format!("{at}  ▶ {label}")
        }
        EventKind::BranchFinished { id, answer, usage, text, finish_reason, .. } => format!(
            "{at}  ✓ {}  → {}  ({} tokens, {finish_reason})  “{}”",
            labels.get(id).map_or("node", String::as_str),
            answer.as_ref().map_or("no answer".to_owned(), |a| printable(&a.text)),
            usage.completion_tokens + usage.reasoning_tokens,
            one_line(text.rsplit("\n\n").next().unwrap_or(text), 60),
        ),
        EventKind::BranchRetried { id, attempt, error, delay_ms, .. } => format!(
            "{at}  ↻ {}  attempt {attempt} in {:.1}s after: {}",
            labels.get(id).map_or("node", String::as_str),
            *delay_ms as f64 / 1000.0,
            printable(&error.to_string())
        ),
        EventKind::Error { id, error, .. } => format!(
            "{at}  ✗ {}  {}",
            id.and_then(|id| labels.get(&id)).map_or("run", String::as_str),
            printable(&error.to_string())
        ),
        EventKind::VoteTallied { standings, .. } => {
            let votes: Vec<String> = standings
                .iter()
                .map(|s| format!("{}×{}", printable(&s.answer.text), s.votes))
                .collect();
            format!("{at}  ⚖ vote  {}", votes.join("  "))
        }
        EventKind::NodeScored { id, score, .. } => {
            format!("{at}  ★ {}  scored {score:.2}", labels.get(id).map_or("node", String::as_str))
        }
        EventKind::EarlyStop { reason } => {
            format!("{at}  ■ stop  {}", printable(&reason.to_string()))
        }
        _ => return None,
    };
    Some(line)
}

/// Runs `thinkscale run`.
pub(crate) async fn run(args: RunArgs) -> Result<ExitCode, String> {
    let model = args.setup.models.model()?;
    let strategy = args.setup.strategy();
    let task = args.task()?;
    let cancel = CancelToken::new();
    let runner = Runner::new(&model).budget(args.setup.budget()).cancel_token(cancel.clone());
    runner.validate(&strategy, &task).map_err(|e| e.to_string())?;

    let on_interrupt = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\ninterrupted: cancelling the requests in flight");
            on_interrupt.cancel();
        }
    });

    let mut recording = RecordingSink::new();
    let mut labels = HashMap::new();
    // Several branches can finish in one step, each followed by an unchanged tally: show a
    // standing once, when it changes.
    let mut last_vote = String::new();
    let json = args.json;
    let mut sink = |event: &Event| {
        if json {
            if let Ok(line) = serde_json::to_string(event) {
                println!("{line}");
            }
        } else if let Some(line) = describe(event, &mut labels) {
            if matches!(event.kind, EventKind::VoteTallied { .. }) {
                let standing =
                    line.split_once("⚖").map_or(line.as_str(), |(_, votes)| votes).to_owned();
                if standing == last_vote {
                    return recording.event(event);
                }
                last_vote = standing;
            }
            eprintln!("{line}");
        }
        recording.event(event)
    };
    let outcome = runner.run(&strategy, &task, &mut sink).await.map_err(|e| e.to_string())?;

    if let Some(path) = &args.trace {
        let trace: Trace = recording.into_trace();
        let trace = if args.full_trace { trace } else { trace.without_deltas() };
        let text = trace.to_json().map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("trace written to {}", path.display());
    }
    if !json {
        let mut out = std::io::stdout().lock();
        let answer = outcome.answer.as_ref().map_or("(none)".to_owned(), |a| printable(&a.text));
        let spend = &outcome.spend;
        let cost = spend.cost_usd.map_or("unpriced".to_owned(), |c| format!("${c:.5}"));
        let _ = writeln!(out, "answer: {answer}");
        let _ = writeln!(
            out,
            "spent:  {} branches ({} failed, {} cancelled), {} tokens, {cost}, {:.1}s",
            outcome.succeeded,
            outcome.failed,
            outcome.cancelled,
            spend.total_tokens(),
            spend.elapsed_ms as f64 / 1000.0
        );
        let _ = writeln!(out, "stop:   {}", printable(&outcome.stop.to_string()));
    }
    Ok(if outcome.answer.is_some() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
