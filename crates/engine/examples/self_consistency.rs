//! Self-consistency on a scripted model, printing the run as it happens.
//!
//! The model here is a script (it disagrees with itself on purpose) so the example runs anywhere
//! without a network or weights; with a real provider only the `model` line changes.
//!
//! Run: `cargo run -p thinkscale-engine --features test-utils --example self_consistency`
//! (add `-- --trace run.json` to write the run's trace).
//! (add `-- --trace run.json` to write the run's trace).

use thinkscale_engine::prelude::*;
use thinkscale_engine::testing::{Reply, ScriptedModel};

fn main() -> Result<(), thinkscale_engine::Error> {
    let model = ScriptedModel::cycling([
        Reply::text("17 + 25: 17 + 20 = 37, 37 + 5 = 42.\nThe answer is: 42"),
        Reply::text("17 + 25 = 32.\nThe answer is: 32"),
        Reply::text("Tens: 10 + 20 = 30. Ones: 7 + 5 = 12. 30 + 12 = 42.\nThe answer is: 42"),
    ]);
    let task = Task::new("What is 17 + 25?").extractor(Extractor::number());
    let strategy = AdaptiveConsistency { max_samples: 12, wave: 3, ..Default::default() };
    let runner = Runner::new(&model).budget(Budget::unlimited().max_tokens(5_000));

    let mut trace = RecordingSink::new();
    let mut printer = |event: &Event| {
        match &event.kind {
            EventKind::BranchStarted { id, label, .. } => {
                println!("{:>5} ms  start  {id} {label}", event.at_ms)
            }
            EventKind::BranchFinished { id, answer, usage, .. } => println!(
                "{:>5} ms  done   {id} answer {} ({} tokens)",
                event.at_ms,
                answer.as_ref().map_or("none", |a| a.text.as_str()),
                usage.total()
            ),
            EventKind::VoteTallied { standings, .. } => {
                let votes: Vec<String> =
                    standings.iter().map(|t| format!("{}×{}", t.answer.text, t.votes)).collect();
                println!("{:>5} ms  vote   {}", event.at_ms, votes.join("  "));
            }
            EventKind::EarlyStop { reason } => println!("{:>5} ms  stop   {reason:?}", event.at_ms),
            _ => {}
        }
        trace.event(event)
    };
    let outcome = futures::executor::block_on(runner.run(&strategy, &task, &mut printer))?;
    println!(
        "\nanswer {} · {} samples · {} tokens · stopped: {:?}",
        outcome.answer.map_or("none".to_owned(), |a| a.text),
        outcome.succeeded,
        outcome.spend.total_tokens(),
        outcome.stop
    );
    let events = trace.events.len();
    let json = trace.into_trace().to_json()?;
    println!("trace: {events} events, {} bytes of JSON", json.len());
    let mut args = std::env::args().skip(1);
    if let (Some(flag), Some(path)) = (args.next(), args.next())
        && flag == "--trace"
    {
        if let Err(error) = std::fs::write(&path, json) {
            eprintln!("could not write {path}: {error}");
            std::process::exit(1);
        }
        println!("trace written to {path}");
    }
    Ok(())
}
