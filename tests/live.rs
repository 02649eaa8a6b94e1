//! Every strategy against a real model (SmolLM2-135M served by llama.cpp on loopback): real
//! streamed text, answers extracted from it, votes, early stop, usage that adds up, budgets,
//! and cancellation that really closes the HTTP requests.

use std::time::{Duration, Instant};

use thinkscale_engine::NodeKind;
use thinkscale_engine::model::{Message, Model, Request};
use thinkscale_engine::prelude::*;
use thinkscale_engine::stopping::StopRule;
use thinkscale_engine::strategy::{
    AdaptiveConsistency, BestOfN, ChainOfThought, Direct, Sampling, SelfConsistency, StrategyConfig,
};
use thinkscale_testkit::FaultProxy;

use crate::support::{
    Streamed, branch_tokens, local_model, read_choices, require_server, round_trip, server_root,
    tokenize,
};

fn sampling(max_tokens: u32) -> Sampling {
    Sampling { temperature: Some(0.7), max_tokens, ..Sampling::default() }
}

#[tokio::test(flavor = "multi_thread")]
async fn streams_several_choices_and_counts_every_choices_tokens() {
    let root = server_root();
    require_server(&root).await;
    let model = local_model(&root, 8);
    let request = Request::new(vec![Message::user("Name three colours.")])
        .n(3)
        .max_tokens(24)
        .temperature(0.9);
    let Streamed { texts: streamed, finished, done: response } =
        read_choices(model.stream(request), 3).await;
    let response = response.expect("a final response");
    assert_eq!(response.completions.len(), 3, "one request, three choices (native n)");
    for (i, completion) in response.completions.iter().enumerate() {
        assert!(!completion.text.is_empty());
        assert_eq!(streamed[i], completion.text, "the deltas of choice {i} add up to its text");
        let early = finished[i].as_ref().expect("each choice is announced as it ends");
        assert_eq!(early.text, completion.text, "choice {i} ends with the text the response has");
        // llama.cpp's `usage` counts one choice only; the provider recounts each one.
        assert_eq!(completion.usage.completion_tokens, tokenize(&root, &completion.text).await);
        assert_eq!(completion.usage.prompt_tokens > 0, i == 0, "the shared prompt is counted once");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_strategy_runs_on_the_real_model_and_its_usage_adds_up() {
    let root = server_root();
    require_server(&root).await;
    let model = local_model(&root, 8);
    let task =
        Task::new("What is 2 + 3? End with 'The answer is: N'.").extractor(Extractor::number());
    let strategies = [
        StrategyConfig::Direct(Direct { sampling: sampling(48) }),
        StrategyConfig::ChainOfThought(ChainOfThought {
            sampling: sampling(96),
            ..Default::default()
        }),
        StrategyConfig::SelfConsistency(SelfConsistency {
            samples: 5,
            sampling: sampling(96),
            ..Default::default()
        }),
        StrategyConfig::AdaptiveConsistency(AdaptiveConsistency {
            max_samples: 8,
            wave: 2,
            sampling: sampling(96),
            ..Default::default()
        }),
        StrategyConfig::BestOfN(BestOfN {
            candidates: 3,
            sampling: sampling(96),
            ..Default::default()
        }),
    ];
    for strategy in strategies {
        let mut recording = RecordingSink::new();
        let outcome = Runner::new(&model)
            .run(&strategy, &task, &mut recording)
            .await
            .unwrap_or_else(|e| panic!("{strategy:?}: {e}"));
        let name = strategy.name();
        assert!(outcome.succeeded >= 1, "{name}: no branch succeeded");
        assert_eq!(outcome.failed, 0, "{name}: a branch failed against a healthy server");
        assert_eq!(
            outcome.spend.total_tokens(),
            branch_tokens(&recording.events),
            "{name}: the run's spend is the sum of its branches"
        );
        let state = round_trip(recording.events.clone()).replay().expect("replay");
        for node in state.nodes.iter() {
            if let Some(answer) = &node.answer {
                assert!(node.text.contains(answer.text.as_str()), "{name}: answer from real text");
            }
        }
        if matches!(
            strategy,
            StrategyConfig::SelfConsistency(_) | StrategyConfig::AdaptiveConsistency(_)
        ) {
            let votes: u32 = outcome.votes.iter().map(|t| t.votes).sum();
            let answered = state.nodes.iter().filter(|n| n.answer.is_some()).count() as u32;
            assert_eq!(votes, answered, "{name}: every extracted answer is one vote");
        }
        if let StrategyConfig::AdaptiveConsistency(_) = strategy
            && let StopReason::Settled { .. } = outcome.stop
        {
            assert!(outcome.succeeded < 8, "settling early saves samples");
        }
        if let StrategyConfig::BestOfN(_) = strategy {
            let judged = state.nodes.iter().filter(|n| n.kind == NodeKind::Judge).count();
            assert_eq!(judged, 3, "each candidate got a real judge call");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn adaptive_consistency_stops_early_when_the_real_samples_agree() {
    let root = server_root();
    require_server(&root).await;
    let model = local_model(&root, 8);
    // Greedy sampling makes the real samples agree, so the vote settles after the first waves.
    let strategy = AdaptiveConsistency {
        max_samples: 12,
        wave: 2,
        rule: StopRule::Beta { threshold: 0.9, min_samples: 0 },
        sampling: Sampling { temperature: Some(0.0), max_tokens: 48, ..Sampling::default() },
        ..Default::default()
    };
    let task = Task::new("What is 1 + 1? Reply 'The answer is: N'.").extractor(Extractor::number());
    let outcome = Runner::new(&model).run(&strategy, &task, &mut NullSink).await.expect("run");
    assert!(matches!(outcome.stop, StopReason::Settled { .. }), "stopped by {:?}", outcome.stop);
    assert!(outcome.succeeded < 12, "used {} of 12 samples", outcome.succeeded);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_budget_holds_against_real_usage() {
    let root = server_root();
    require_server(&root).await;
    let model = local_model(&root, 8);
    // Eight samples of up to 200 tokens cannot fit in 600 tokens. Before the server has reported
    // the prompt's size the ledger reserves its upper bound (a token a byte, plus framing), so
    // the first request is shortened to fit; the budget holds whatever the server adds unseen.
    let strategy = SelfConsistency { samples: 8, sampling: sampling(200), ..Default::default() };
    let task = Task::new("What is 6 + 7?").extractor(Extractor::number());
    let outcome = Runner::new(&model)
        .budget(Budget::unlimited().max_tokens(600))
        .run(&strategy, &task, &mut NullSink)
        .await
        .expect("run");
    assert!(outcome.spend.total_tokens() <= 600, "spent {}", outcome.spend.total_tokens());
    assert!(outcome.succeeded >= 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelling_a_run_closes_its_http_requests() {
    let root = server_root();
    require_server(&root).await;
    let proxy = FaultProxy::start(&root).expect("proxy");
    let model = local_model(proxy.url(), 1); // one request per sample: four connections
    let strategy = SelfConsistency { samples: 4, sampling: sampling(400), ..Default::default() };
    let task = Task::new("Write a long story about a lighthouse keeper.");
    let cancel = CancelToken::new();
    let trigger = cancel.clone();
    let mut deltas = 0;
    let mut sink = |event: &Event| {
        if matches!(event.kind, EventKind::TokenDelta { .. }) {
            deltas += 1;
            if deltas == 20 {
                trigger.cancel();
            }
        }
        Flow::Continue
    };
    let started = Instant::now();
    let outcome = Runner::new(&model)
        .cancel_token(cancel)
        .run(&strategy, &task, &mut sink)
        .await
        .expect("run");
    assert_eq!(outcome.stop, StopReason::Cancelled);
    assert!(outcome.cancelled >= 1);
    // The proxy sees the client go away while the model is still generating.
    let deadline = Instant::now() + Duration::from_secs(5);
    while (proxy.open_requests() > 0 || proxy.abandoned_by_client() == 0)
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(proxy.open_requests(), 0, "every request was closed");
    assert!(proxy.abandoned_by_client() >= 1, "closed mid-generation, not after it");
    assert!(started.elapsed() < Duration::from_secs(20), "far sooner than 4 × 400 tokens");
}
