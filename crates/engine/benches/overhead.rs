//! Engine overhead per sample: self-consistency over 64 samples of about 300 tokens each.
//!
//! The model is scripted and answers instantly, so the time measured is the engine's own work —
//! request planning, stream merging, one `tokenDelta` event per token, answer extraction, the vote
//! re-tallied after every sample, budget accounting and the run state — plus the scripted model's
//! cheap splitting of text into deltas (which makes the figure an upper bound).
//!
//! Run: `cargo bench -p thinkscale-engine --features test-utils --bench overhead`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use thinkscale_engine::prelude::*;
use thinkscale_engine::testing::{Reply, ScriptedModel};

const SAMPLES: u32 = 64;

/// A ~300-word chain of thought ending in one of three answers.
fn sample_text(index: usize) -> String {
    let mut text = String::new();
    for step in 0..30 {
        text.push_str(&format!(
            "Step {step}: we add {} and {} to get {}. ",
            step * 3,
            index,
            step * 3 + index
        ));
    }
    let answer = if index % 3 == 2 { 41 } else { 42 };
    text.push_str(&format!("\nThe answer is: {answer}"));
    text
}

fn bench_overhead(c: &mut Criterion) {
    let replies: Vec<Reply> = (0..SAMPLES as usize).map(|i| Reply::text(sample_text(i))).collect();
    let words = replies.first().map_or(0, |r| r.text.split_whitespace().count());
    let model = ScriptedModel::cycling(replies);
    let task = Task::new("What is the total?").extractor(Extractor::number());
    let strategy =
        SelfConsistency { samples: SAMPLES, concurrency: 8, ..SelfConsistency::default() };
    let budget = Budget::unlimited().max_tokens(10_000_000).max_samples(1000);
    let runner = Runner::new(&model).budget(budget);

    let mut group = c.benchmark_group(format!("self_consistency_{SAMPLES}x{words}_tokens"));
    group.throughput(Throughput::Elements(u64::from(SAMPLES)));
    group.bench_function("streamed_recorded", |b| {
        b.iter(|| {
            let mut sink = RecordingSink::new();
            let outcome = futures::executor::block_on(runner.run(&strategy, &task, &mut sink));
            assert_eq!(outcome.map(|o| o.succeeded).ok(), Some(SAMPLES));
            sink.events.len()
        })
    });
    group.bench_function("streamed_discarded", |b| {
        b.iter(|| futures::executor::block_on(runner.run(&strategy, &task, &mut NullSink)).is_ok())
    });
    group.finish();
}

criterion_group!(benches, bench_overhead);
criterion_main!(benches);
