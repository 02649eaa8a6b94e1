//! Direct answers and chains of thought.

use super::*;
use crate::model::Role;
use crate::prompt::{Exemplar, Prompting};

#[test]
fn direct_asks_once_and_extracts_the_answer() {
    let model = ScriptedModel::cycling(["#### 12"]);
    let ran = run(&model, &Direct::default(), &number_task());
    assert_eq!(ran.answer(), Some("12"));
    assert_eq!(model.calls(), 1);
    let request = &model.requests()[0];
    assert_eq!(request.temperature, Some(0.0), "single answers default to greedy");
    assert!(request.messages[0].content.contains("Answer directly"));
    assert_eq!(ran.outcome.stop, StopReason::Completed);
    assert_eq!(ran.outcome.text.as_deref(), Some("#### 12"));
}

#[test]
fn chain_of_thought_zero_and_few_shot_prompts() {
    let model = ScriptedModel::cycling(["3 + 4 = 7.\nThe answer is: 7"]);
    let zero = run(&model, &ChainOfThought::default(), &number_task());
    assert_eq!(zero.answer(), Some("7"));
    assert!(model.requests()[0].messages[0].content.contains("Let's think step by step."));

    let few_shot = ChainOfThought {
        prompting: Prompting {
            exemplars: vec![Exemplar {
                question: "1+1?".into(),
                reasoning: "One and one.".into(),
                answer: "2".into(),
            }],
            ..Prompting::default()
        },
        ..ChainOfThought::default()
    };
    run(&model, &few_shot, &number_task());
    let roles: Vec<Role> = model.requests()[1].messages.iter().map(|m| m.role).collect();
    assert_eq!(roles, [Role::User, Role::Assistant, Role::User]);
}

#[test]
fn a_truncated_chain_gives_no_answer() {
    let model = ScriptedModel::cycling([Reply::text("First 3 + 4 = 7, then 7 * 2 =").truncated()]);
    let ran = run(&model, &ChainOfThought::default(), &number_task());
    assert_eq!(ran.answer(), None);
    assert_eq!(ran.outcome.chosen, Some(NodeId(0)), "the branch is still reported");
}

#[test]
fn streamed_deltas_add_up_to_the_final_text() {
    let model = ScriptedModel::cycling([
        Reply::text("I add them up. The answer is: 9").reasoning("Hidden thoughts here")
    ]);
    let ran = run(&model, &ChainOfThought::default(), &number_task());
    let mut text = String::new();
    let mut reasoning = String::new();
    for event in &ran.events {
        if let EventKind::TokenDelta { channel, text: piece, .. } = &event.kind {
            match channel {
                crate::model::Channel::Text => text.push_str(piece),
                crate::model::Channel::Reasoning => reasoning.push_str(piece),
            }
        }
    }
    assert_eq!(text, "I add them up. The answer is: 9");
    assert_eq!(reasoning, "Hidden thoughts here");
    assert_eq!(ran.state().nodes[0].reasoning, "Hidden thoughts here");
    assert!(ran.count("tokenDelta") > 5);
}

#[test]
fn native_reasoning_sends_the_setting_and_shows_the_reasoning() {
    use crate::model::{Capabilities, Effort, Reasoning, Usage};
    use crate::strategy::NativeReasoning;
    let reply = Reply::text("The answer is: 12").reasoning("3 boxes of 4 is 12.").usage(Usage {
        prompt_tokens: 20,
        completion_tokens: 5,
        reasoning_tokens: 300,
    });
    let model = ScriptedModel::cycling([reply])
        .with_capabilities(Capabilities { reasoning: true, ..Capabilities::default() });
    let strategy = NativeReasoning {
        reasoning: Reasoning::Effort { level: Effort::High },
        ..NativeReasoning::default()
    };
    let ran = run(&model, &strategy, &number_task());
    assert_eq!(ran.answer(), Some("12"));
    assert_eq!(model.requests()[0].reasoning, Some(Reasoning::Effort { level: Effort::High }));
    let state = ran.state();
    assert_eq!(state.nodes[0].reasoning, "3 boxes of 4 is 12.");
    assert_eq!(ran.outcome.spend.total_tokens(), 325, "hidden reasoning tokens are spent too");

    let plain = ScriptedModel::cycling(["x"]);
    let error = Runner::new(&plain).validate(&strategy, &number_task()).unwrap_err();
    assert!(error.to_string().contains("nativeReasoning needs a reasoning model"), "{error}");
}
