//! Concurrency benchmark: self-consistency with 1 and with 8 branches against a loopback server
//! that answers every request after a fixed 500 ms (API-like latency), over real HTTP through the
//! OpenAI-compatible provider. Eight concurrent branches should take about as long as one.
//!
//! Run: `cargo bench -p thinkscale-providers --bench concurrency`

#![allow(missing_docs, clippy::expect_used)]

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use thinkscale_engine::prelude::*;
use thinkscale_engine::strategy::SelfConsistency;
use thinkscale_providers::OpenAiCompatible;
use thinkscale_providers::openai::OpenAiConfig;
use thinkscale_testkit::FixedLatencyServer;

fn branches(c: &mut Criterion) {
    let server = FixedLatencyServer::start(Duration::from_millis(500)).expect("server");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    // One choice per request, so eight branches are eight concurrent HTTP requests.
    let model =
        OpenAiCompatible::new(OpenAiConfig::new(server.url(), "fixed-latency")).expect("model");
    let task = Task::new("What is 6 × 7?").extractor(Extractor::number());
    let mut group = c.benchmark_group("self_consistency_vs_500ms_server");
    group.sample_size(10).warm_up_time(Duration::from_secs(1));
    for samples in [1, 8] {
        let strategy = SelfConsistency { samples, concurrency: 8, ..Default::default() };
        group.bench_function(format!("{samples}_branches"), |b| {
            b.iter(|| {
                let outcome = runtime
                    .block_on(Runner::new(&model).run(&strategy, &task, &mut NullSink))
                    .expect("run");
                assert_eq!(outcome.succeeded, samples);
            });
        });
    }
    group.finish();
    println!("peak concurrent requests seen by the server: {}", server.peak_concurrency());
}

criterion_group!(benches, branches);
criterion_main!(benches);
