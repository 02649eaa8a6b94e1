//! Self-consistency: sampling, concurrency, voting and weighting.

use super::*;
use crate::model::Capabilities;

#[test]
fn majority_vote_over_samples() {
    let model = ScriptedModel::cycling(answers(&["4", "5", "4", "4", "6", "5", "4", "4"]));
    let ran = run(&model, &SelfConsistency::default(), &number_task());
    assert_eq!(ran.answer(), Some("4"));
    assert_eq!(model.calls(), 8);
    let votes: Vec<(&str, u32)> =
        ran.outcome.votes.iter().map(|t| (t.answer.key.as_str(), t.votes)).collect();
    assert_eq!(votes, [("4", 5), ("5", 2), ("6", 1)]);
    assert_eq!(ran.count("voteTallied"), 8, "the vote is re-tallied after every answer");
    // Vote events carry standings, not sample lists, so traces grow linearly with samples.
    let vote_json =
        serde_json::to_string(ran.events.iter().rfind(|e| type_of(e) == "voteTallied").unwrap())
            .unwrap();
    assert!(vote_json.contains(r#""votes":5"#) && !vote_json.contains("nodes"), "{vote_json}");
    assert_eq!(ran.outcome.chosen, Some(NodeId(0)), "the leader's earliest sample is shown");
    let request = &model.requests()[0];
    assert_eq!(request.temperature, Some(0.7), "voting samples default to a diverse temperature");
}

#[test]
fn concurrency_limit_is_respected() {
    let clock = ManualClock::new();
    let model = model_on(
        &clock,
        ScriptedModel::from_fn(|call| {
            Reply::text("The answer is: 1").latency(ms(10 + 7 * call.index as u64 % 40))
        }),
    );
    let strategy = SelfConsistency { samples: 12, concurrency: 3, ..Default::default() };
    let ran = run_with(&clock, Runner::new(&model), &strategy, &number_task());
    assert_eq!(model.peak_in_flight(), 3);
    assert_eq!(ran.outcome.succeeded, 12);
}

#[test]
fn samples_are_seeded_for_reproducibility() {
    let model = ScriptedModel::cycling(answers(&["1"]));
    let strategy = SelfConsistency {
        samples: 3,
        sampling: crate::strategy::Sampling { seed: Some(40), ..Default::default() },
        ..Default::default()
    };
    run(&model, &strategy, &number_task());
    let seeds: Vec<Option<u64>> = model.requests().iter().map(|r| r.seed).collect();
    assert_eq!(seeds, [Some(40), Some(41), Some(42)]);
}

#[test]
fn native_n_packs_samples_into_fewer_requests() {
    let model = ScriptedModel::cycling(answers(&["2", "2", "3"])).with_capabilities(Capabilities {
        max_n: 4,
        streaming: true,
        ..Capabilities::default()
    });
    let strategy = SelfConsistency { samples: 10, ..Default::default() };
    let ran = run(&model, &strategy, &number_task());
    assert_eq!(model.calls(), 3, "4 + 4 + 2 choices");
    assert_eq!(ran.outcome.succeeded, 10);
    assert_eq!(ran.answer(), Some("2"));
    // The prompt is billed once per request, on its first choice.
    assert_eq!(ran.count("branchStarted"), 10);
}

#[test]
fn logprob_weighting_lets_confident_samples_outvote_hesitant_ones() {
    let replies = vec![
        Reply::text("The answer is: 5").logprobs(vec![-3.0, -2.5]),
        Reply::text("The answer is: 5").logprobs(vec![-2.0, -3.0]),
        Reply::text("The answer is: 4").logprobs(vec![-0.01, -0.02]),
    ];
    let model = ScriptedModel::cycling(replies)
        .with_capabilities(Capabilities { logprobs: true, ..Capabilities::default() });
    let uniform = SelfConsistency { samples: 3, ..Default::default() };
    assert_eq!(run(&model, &uniform, &number_task()).answer(), Some("5"));
    let weighted = SelfConsistency { weighting: Weighting::MeanLogprob, ..uniform };
    let ran = run(&model, &weighted, &number_task());
    assert_eq!(ran.answer(), Some("4"));
    assert!(model.requests().last().unwrap().logprobs, "logprobs are requested when they are used");
    assert!(ran.outcome.votes[0].weight > 0.9 && ran.outcome.votes[1].weight < 0.2);
}

#[test]
fn confidence_weighting_reads_the_stated_confidence() {
    let model = ScriptedModel::cycling([
        "The answer is: 5\nConfidence: 20%",
        "The answer is: 5\nConfidence: 30%",
        "The answer is: 4\nConfidence: 95%",
    ]);
    let strategy =
        SelfConsistency { samples: 3, weighting: Weighting::Confidence, ..Default::default() };
    let ran = run(&model, &strategy, &number_task());
    assert_eq!(ran.answer(), Some("4"));
    assert!(model.requests()[0].messages[0].content.contains("Confidence: <0-100>%"));
    assert_eq!(ran.state().nodes[2].confidence, Some(0.95));
}

#[test]
fn samples_without_an_answer_do_not_vote() {
    let model = ScriptedModel::cycling(["I am not sure.", "The answer is: 3", "Hmm."]);
    let ran = run(&model, &SelfConsistency { samples: 3, ..Default::default() }, &number_task());
    assert_eq!(ran.answer(), Some("3"));
    assert_eq!(ran.outcome.votes.len(), 1);
    assert_eq!(ran.outcome.succeeded, 3);
}
