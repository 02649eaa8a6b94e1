//! The reducer on hand-built traces: trees, prunes, backtracks, and traces that must be refused.

use super::*;
use crate::error::Error;
use crate::event::{Event, EventKind, StopReason};
use crate::model::Channel;
use crate::trace::Trace;

fn at(at_ms: u64, kind: EventKind) -> Event {
    Event { at_ms, kind }
}

fn started() -> Event {
    at(
        0,
        EventKind::RunStarted {
            question: "Make 24 from 4 4 6 8".into(),
            messages: Vec::new(),
            strategy: "treeOfThoughts".into(),
            config: serde_json::json!({"kind": "treeOfThoughts"}),
            budget: Budget::default(),
            model: "m".into(),
        },
    )
}

fn branch(id: u32, parent: Option<u32>, kind: NodeKind) -> EventKind {
    EventKind::BranchStarted {
        written_by: None,
        id: NodeId(id),
        parent: parent.map(NodeId),
        kind,
        label: format!("step {id}"),
    }
}

fn finished(id: u32, text: &str, tokens: u64) -> EventKind {
    EventKind::BranchFinished {
        id: NodeId(id),
        text: text.into(),
        reasoning: None,
        finish_reason: FinishReason::Stop,
        answer: None,
        mean_logprob: None,
        confidence: None,
        usage: Usage { prompt_tokens: tokens, completion_tokens: tokens, reasoning_tokens: 0 },
        cost_usd: Some(0.5),
    }
}

/// A small search: two thoughts under the root, one pruned, a backtrack, a deeper thought.
fn tree_trace() -> Vec<Event> {
    vec![
        started(),
        at(1, branch(0, None, NodeKind::Thought)),
        at(2, branch(1, None, NodeKind::Thought)),
        at(
            3,
            EventKind::TokenDelta { id: NodeId(0), channel: Channel::Text, text: "4 + 8".into() },
        ),
        at(5, finished(0, "4 + 8 = 12 (left: 4 6 12)", 10)),
        at(6, finished(1, "4 * 4 = 16 (left: 6 8 16)", 10)),
        at(7, EventKind::NodeScored { id: NodeId(0), score: 0.9, by: None }),
        at(7, EventKind::NodeScored { id: NodeId(1), score: 0.1, by: None }),
        at(8, EventKind::NodePruned { id: NodeId(1), reason: "judged impossible".into() }),
        at(9, branch(2, Some(0), NodeKind::Thought)),
        at(
            12,
            EventKind::Error {
                id: Some(NodeId(2)),
                error: ModelError::new(crate::model::ModelErrorKind::Server, "oops"),
                usage: Usage { prompt_tokens: 5, completion_tokens: 3, reasoning_tokens: 0 },
                cost_usd: None,
            },
        ),
        at(13, EventKind::Backtracked { from: NodeId(2), to: Some(NodeId(0)) }),
        at(14, branch(3, Some(0), NodeKind::Thought)),
        at(
            15,
            EventKind::BranchCancelled {
                id: NodeId(3),
                usage: Usage { prompt_tokens: 5, completion_tokens: 0, reasoning_tokens: 0 },
                cost_usd: None,
            },
        ),
    ]
}

#[test]
fn builds_the_tree_with_prunes_and_backtracks() {
    let state = Trace::new(tree_trace()).replay().unwrap();
    assert_eq!(state.nodes.len(), 4);
    assert_eq!(state.nodes[0].children, [NodeId(2), NodeId(3)]);
    assert_eq!(state.nodes[0].text, "4 + 8 = 12 (left: 4 6 12)", "the final text replaces deltas");
    assert_eq!(state.nodes[1].pruned.as_deref(), Some("judged impossible"));
    assert_eq!(state.nodes[1].score, Some(0.1));
    assert_eq!(state.nodes[2].status, NodeStatus::Failed);
    assert_eq!(state.nodes[3].status, NodeStatus::Cancelled);
    assert_eq!(state.backtracks, [(NodeId(2), Some(NodeId(0)))]);
    assert_eq!(state.spend.samples, 4);
    // Two finished nodes of 20 tokens, plus what the failed (8) and cancelled (5) calls consumed.
    assert_eq!(state.spend.total_tokens(), 53);
    assert_eq!(state.nodes[2].usage.total(), 8);
    assert_eq!(state.spend.cost_usd, Some(1.0));
    assert_eq!(state.spend.elapsed_ms, 15);
    assert_eq!(state.status_counts(), (2, 1, 1));
}

#[test]
fn json_round_trip_replays_to_the_same_state() {
    let trace = Trace::new(tree_trace());
    let json = trace.to_json().unwrap();
    assert!(json.contains(r#""type":"branchStarted""#), "{json}");
    let imported = Trace::from_json(&json).unwrap();
    assert_eq!(imported, trace);
    assert_eq!(imported.replay().unwrap(), trace.replay().unwrap());
}

#[test]
fn inconsistent_traces_are_refused_with_the_event_index() {
    let cases: Vec<(Vec<Event>, usize, &str)> = vec![
        (vec![at(0, branch(0, None, NodeKind::Sample))], 0, "first event"),
        (vec![started(), started()], 1, "second runStarted"),
        (vec![started(), at(1, branch(1, None, NodeKind::Sample))], 1, "out of order"),
        (vec![started(), at(1, branch(0, Some(7), NodeKind::Sample))], 1, "does not exist"),
        (vec![started(), at(1, finished(0, "x", 1))], 1, "does not exist"),
        (
            vec![
                started(),
                at(1, branch(0, None, NodeKind::Sample)),
                at(2, finished(0, "x", 1)),
                at(3, finished(0, "y", 1)),
            ],
            3,
            "not running",
        ),
    ];
    for (events, index, message) in cases {
        let error = Trace::new(events).replay().unwrap_err();
        let Error::InvalidTrace { at, reason } = &error else { panic!("{error:?}") };
        assert_eq!(*at, Some(index), "{error}");
        assert!(reason.contains(message), "{error}");
    }
}

#[test]
fn nothing_may_follow_the_finish() {
    let outcome = Outcome {
        answer: None,
        chosen: None,
        text: None,
        votes: Vec::new(),
        stop: StopReason::Completed,
        spend: Spend::default(),
        succeeded: 0,
        failed: 0,
        cancelled: 0,
    };
    let events = vec![
        started(),
        at(1, EventKind::RunFinished { outcome }),
        at(2, branch(0, None, NodeKind::Sample)),
    ];
    assert!(Trace::new(events).replay().unwrap_err().to_string().contains("after runFinished"));
}

#[test]
fn imports_check_format_and_version() {
    let json = Trace::new(vec![started()]).to_json().unwrap();
    assert!(Trace::from_json(&json).is_ok());
    let other = json.replace("thinkscale.trace", "something.else");
    assert!(Trace::from_json(&other).unwrap_err().to_string().contains("format"));
    let newer = json.replace(r#""version":1"#, r#""version":99"#);
    assert!(Trace::from_json(&newer).unwrap_err().to_string().contains("version 99"));
    assert!(Trace::from_json("{not json").is_err());
    assert!(Trace::from_json("").is_err());
}

#[test]
fn dropping_deltas_keeps_finished_nodes() {
    let trace = Trace::new(tree_trace());
    let small = trace.without_deltas();
    assert!(small.events.len() < trace.events.len());
    let (full, lean) = (trace.replay().unwrap(), small.replay().unwrap());
    assert_eq!(full.nodes[0], lean.nodes[0]);
    assert_eq!(full.spend, lean.spend);
}

#[test]
fn a_revised_usage_replaces_the_nodes_count_in_the_spend() {
    let mut events = vec![started(), at(1, branch(0, None, NodeKind::Sample))];
    events.push(at(2, finished(0, "x", 10)));
    let revised = Usage { prompt_tokens: 7, completion_tokens: 30, reasoning_tokens: 0 };
    events.push(at(3, EventKind::UsageRevised { id: NodeId(0), usage: revised, cost_usd: None }));
    let state = Trace::new(events.clone()).replay().unwrap();
    assert_eq!(state.nodes[0].usage, revised);
    assert_eq!(state.spend.total_tokens(), 37);
    // Only a finished node's usage can be revised.
    events.truncate(2);
    events.push(at(3, EventKind::UsageRevised { id: NodeId(0), usage: revised, cost_usd: None }));
    assert!(Trace::new(events).replay().unwrap_err().to_string().contains("not done"));
}

#[test]
fn oversized_traces_are_refused_before_parsing_with_their_size() {
    let error = Trace::check_size(50_000_000).unwrap_err().to_string();
    assert!(error.contains("50.0 MB") && error.contains("16 MB"), "{error}");
    assert!(Trace::check_size(1_000).is_ok());
    let big = format!("{{\"format\":\"thinkscale.trace\",\"pad\":\"{}\"}}", "x".repeat(17 << 20));
    assert!(Trace::from_json(&big).unwrap_err().to_string().contains("MB"));
}

#[test]
fn each_event_says_which_node_and_whether_the_run_changed() {
    let mut state = RunState::new();
    let changes: Vec<Changed> = tree_trace().iter().map(|e| state.apply(e).unwrap()).collect();
    let node = |id| Changed { node: Some(NodeId(id)), added: false, run: false };
    let with_run = |id| Changed { node: Some(NodeId(id)), added: false, run: true };
    let added = |id| Changed { node: Some(NodeId(id)), added: true, run: true };
    let run_only = Changed { node: None, added: false, run: true };
    assert_eq!(
        changes,
        [
            run_only,
            added(0),
            added(1),
            node(0),     // a token: its node only, the spend did not move
            with_run(0), // a finish moves the spend
            with_run(1),
            node(0), // scores and prunes belong to their node
            node(1),
            node(1),
            added(2),
            with_run(2), // a failure
            with_run(2), // a backtrack marks the dead end and the run's list
            added(3),
            with_run(3),
        ]
    );
    let spent = at(16, EventKind::BudgetSpent { spent: state.spend });
    assert_eq!(state.apply(&spent).unwrap(), Changed::default(), "budgetSpent repeats the spend");
}

#[test]
fn the_final_vote_is_the_outcomes_and_retries_keep_their_reason() {
    let mut events = vec![started(), at(1, branch(0, None, NodeKind::Sample))];
    let error = ModelError::new(crate::model::ModelErrorKind::RateLimited, "slow down");
    events.push(at(
        2,
        EventKind::BranchRetried {
            id: NodeId(0),
            attempt: 1,
            error: error.clone(),
            delay_ms: 10,
            usage: Usage::default(),
            cost_usd: None,
        },
    ));
    events.push(at(3, finished(0, "The answer is: 4", 1)));
    let answer = crate::answer::Answer { key: "4".into(), text: "4".into() };
    let votes = vec![crate::vote::Tally {
        answer: answer.clone(),
        votes: 1,
        weight: 1.0,
        nodes: vec![NodeId(0)],
    }];
    events.push(at(
        4,
        EventKind::RunFinished {
            outcome: Outcome {
                answer: Some(answer),
                chosen: Some(NodeId(0)),
                text: None,
                votes,
                stop: StopReason::Completed,
                spend: Spend::default(),
                succeeded: 1,
                failed: 0,
                cancelled: 0,
            },
        },
    ));
    let state = Trace::new(events).replay().unwrap();
    assert_eq!(state.nodes[0].retried_after, Some(error));
    assert_eq!(state.answers, 1);
    assert_eq!(state.standings.first().map(|s| s.votes), Some(1));
}
