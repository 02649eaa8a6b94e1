//! Strategy configs as JSON, and validation that names the offending field.

use super::*;
use crate::model::Capabilities;
use crate::strategy::StrategyConfig;

fn parse(json: &str) -> Result<StrategyConfig, String> {
    serde_json::from_str(json).map_err(|e| e.to_string())
}

#[test]
fn camel_case_json_configs() {
    let config = parse(
        r#"{"kind":"adaptiveConsistency","maxSamples":20,"wave":5,
            "rule":{"kind":"beta","threshold":0.9},"sampling":{"temperature":0.8,"maxTokens":300}}"#,
    )
    .unwrap();
    let StrategyConfig::AdaptiveConsistency(adaptive) = &config else { panic!("{config:?}") };
    assert_eq!((adaptive.max_samples, adaptive.wave), (20, 5));
    assert_eq!(adaptive.sampling.max_tokens, 300);
    let config = parse(r#"{"kind":"bestOfN","judge":{"kind":"verifier"}}"#).unwrap();
    assert!(matches!(config, StrategyConfig::BestOfN(BestOfN { judge: Judge::Verifier, .. })));
    assert!(matches!(parse(r#"{"kind":"direct"}"#).unwrap(), StrategyConfig::Direct(_)));
}

#[test]
fn unknown_fields_and_kinds_are_named() {
    let error = parse(r#"{"kind":"selfConsistency","sample":8}"#).unwrap_err();
    assert!(error.contains("unknown field `sample`"), "{error}");
    let error = parse(r#"{"kind":"selfConsistency","sampling":{"temprature":1}}"#).unwrap_err();
    assert!(error.contains("temprature"), "{error}");
    let error = parse(r#"{"kind":"treeOfLife"}"#).unwrap_err();
    assert!(error.contains("treeOfLife"), "{error}");
}

#[test]
fn the_trace_records_the_config_with_its_kind() {
    let model = ScriptedModel::cycling(answers(&["1"]));
    let strategy = SelfConsistency { samples: 2, ..Default::default() };
    let ran = run(&model, &strategy, &number_task());
    let state = ran.state();
    assert_eq!(state.strategy, "selfConsistency");
    let config: StrategyConfig = serde_json::from_value(state.config.clone()).unwrap();
    assert_eq!(config, StrategyConfig::SelfConsistency(strategy));
}

#[test]
fn validation_names_the_field() {
    let model = ScriptedModel::cycling(answers(&["1"]));
    let runner = Runner::new(&model);
    let task = number_task();
    let check =
        |config: &str| runner.validate(&parse(config).unwrap(), &task).unwrap_err().to_string();
    assert!(check(r#"{"kind":"selfConsistency","samples":0}"#).contains("selfConsistency.samples"));
    assert!(
        check(r#"{"kind":"selfConsistency","concurrency":0}"#)
            .contains("selfConsistency.concurrency")
    );
    assert!(
        check(r#"{"kind":"adaptiveConsistency","wave":0}"#).contains("adaptiveConsistency.wave")
    );
    assert!(
        check(r#"{"kind":"adaptiveConsistency","rule":{"kind":"beta","threshold":0.4}}"#)
            .contains("rule.threshold")
    );
    assert!(
        check(r#"{"kind":"chainOfThought","sampling":{"topP":0}}"#)
            .contains("chainOfThought.sampling.topP")
    );
    assert!(check(r#"{"kind":"bestOfN","judge":{"kind":"verifier"}}"#).contains("no verifier"));
    let logprobs = check(r#"{"kind":"selfConsistency","weighting":"meanLogprob"}"#);
    assert!(logprobs.contains("logprobs"), "{logprobs}");
    let with_logprobs = ScriptedModel::cycling(answers(&["1"]))
        .with_capabilities(Capabilities { logprobs: true, ..Capabilities::default() });
    let config = parse(r#"{"kind":"selfConsistency","weighting":"meanLogprob"}"#).unwrap();
    assert!(Runner::new(&with_logprobs).validate(&config, &task).is_ok());
    let empty = Task::new("");
    assert!(
        runner
            .validate(&Direct::default(), &empty)
            .unwrap_err()
            .to_string()
            .contains("task.question")
    );
}

#[test]
fn invalid_input_never_reaches_the_model() {
    let model = ScriptedModel::cycling(answers(&["1"]));
    let strategy = SelfConsistency { samples: 0, ..Default::default() };
    let result = futures::executor::block_on(Runner::new(&model).run(
        &strategy,
        &number_task(),
        &mut NullSink,
    ));
    assert!(matches!(result, Err(Error::InvalidConfig { .. })));
    assert_eq!(model.calls(), 0);
}
