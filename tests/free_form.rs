//! Open questions against a real model (Qwen2.5 0.5B served by llama.cpp on loopback): a text
//! answer voted on as text, a follow-up asked inside its conversation, free-form replies
//! clustered, and universal self-consistency's selector choosing among real replies.

use thinkscale_engine::cluster::Aggregate;
use thinkscale_engine::model::Message;
use thinkscale_engine::prelude::*;
use thinkscale_engine::strategy::{Sampling, UniversalSelfConsistency};
use thinkscale_engine::{NodeKind, state::NodeStatus};

use crate::support::{local_model, require_server, round_trip};

fn qwen_root() -> String {
    std::env::var("THINKSCALE_QWEN_URL").unwrap_or_else(|_| "http://127.0.0.1:8791".to_owned())
}

fn sampling(max_tokens: u32) -> Sampling {
    Sampling { temperature: Some(0.7), max_tokens, seed: Some(7), ..Sampling::default() }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_text_question_and_its_follow_up_are_answered_in_their_conversation() {
    let root = qwen_root();
    require_server(&root).await;
    let model = local_model(&root, 2);
    let strategy = SelfConsistency { samples: 4, sampling: sampling(96), ..Default::default() };
    let asked = "What is the capital of Australia?";
    let first = Runner::new(&model).run(&strategy, &Task::new(asked), &mut NullSink).await.unwrap();
    let answer = first.answer.expect("the samples state a city");
    assert_eq!(answer.key, "canberra", "{answer:?} from {:?}", first.votes);

    let task = Task::conversation(vec![
        Message::user(asked),
        Message::assistant(answer.text),
        Message::user("And the capital of Japan?"),
    ]);
    let mut recording = RecordingSink::new();
    let follow_up = Runner::new(&model).run(&strategy, &task, &mut recording).await.unwrap();
    assert_eq!(follow_up.answer.map(|a| a.key).as_deref(), Some("tokyo"), "{:?}", follow_up.votes);
    let state = round_trip(recording.events).replay().unwrap();
    assert_eq!(state.messages.len(), 3, "the trace records the conversation");
}

#[tokio::test(flavor = "multi_thread")]
async fn real_free_form_replies_are_clustered_and_a_central_one_answers() {
    let root = qwen_root();
    require_server(&root).await;
    let model = local_model(&root, 2);
    let strategy = SelfConsistency {
        samples: 4,
        sampling: sampling(64),
        aggregate: Aggregate::Cluster { threshold: 0.5 },
        ..Default::default()
    };
    let mut recording = RecordingSink::new();
    let outcome = Runner::new(&model)
        .run(&strategy, &Task::new("Write a haiku about autumn."), &mut recording)
        .await
        .unwrap();
    let state = round_trip(recording.events).replay().unwrap();
    let done: Vec<_> = state.nodes.iter().filter(|n| n.status == NodeStatus::Done).collect();
    let members: usize = state.clusters.iter().map(|c| c.members.len()).sum();
    assert_eq!(members, done.len(), "every finished reply is in one cluster");
    let leader = &state.clusters[0];
    assert!(leader.members.contains(&leader.central));
    assert_eq!(outcome.chosen, Some(leader.central), "the biggest cluster's centre answers");
    assert!(outcome.answer.is_some() && outcome.text.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn universal_self_consistency_selects_among_real_replies() {
    let root = qwen_root();
    require_server(&root).await;
    let model = local_model(&root, 2);
    let strategy = UniversalSelfConsistency {
        samples: 3,
        concurrency: 2,
        sampling: sampling(64),
        selector_tokens: 64,
        reply_chars: 400,
        ..Default::default()
    };
    let mut recording = RecordingSink::new();
    let task = Task::new("Name a fruit that is yellow. Reply with one word.");
    let outcome = Runner::new(&model).run(&strategy, &task, &mut recording).await.unwrap();
    let state = round_trip(recording.events).replay().unwrap();
    let selector = state.nodes.iter().find(|n| n.kind == NodeKind::Selector).expect("a selector");
    assert_eq!(selector.status, NodeStatus::Done, "the selector streamed a real reply");
    assert!(selector.usage.completion_tokens > 0, "and it was counted in the spend");
    let selection = state.selection.clone().expect("its choice is an event");
    assert_eq!(selection.by, selector.id);
    let chosen = outcome.chosen.expect("a reply answers");
    assert_eq!(state.node(chosen).map(|n| n.kind), Some(NodeKind::Sample));
    if let Some(named) = selection.chosen {
        assert_eq!(named, chosen, "the named reply answers");
    } else {
        assert!(selection.reason.contains("named no candidate"), "{}", selection.reason);
    }
}
