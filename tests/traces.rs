//! A run's trace through the public API: export to a file, import, replay.

use thinkscale::engine::testing::{Reply, ScriptedModel};
use thinkscale::prelude::*;

#[test]
fn exported_trace_file_replays_to_the_same_outcome() {
    let model = ScriptedModel::cycling([
        Reply::text("The answer is: 12"),
        Reply::text("The answer is: 13"),
        Reply::text("The answer is: 12"),
    ]);
    let runner = Runner::new(&model);
    let strategy =
        StrategyConfig::SelfConsistency(SelfConsistency { samples: 6, ..Default::default() });
    let mut recorder = RecordingSink::new();
    let outcome =
        futures::executor::block_on(runner.run(&strategy, &Task::new("12?"), &mut recorder))
            .unwrap();

    let path = std::env::temp_dir().join(format!("thinkscale-trace-{}.json", std::process::id()));
    std::fs::write(&path, recorder.into_trace().to_json().unwrap()).unwrap();
    let imported = Trace::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
    std::fs::remove_file(&path).ok();

    let state = imported.replay().unwrap();
    assert_eq!(state.outcome.as_ref(), Some(&outcome));
    assert_eq!(state.nodes.len(), 6);
    assert_eq!(outcome.answer.unwrap().key, "12");
    // The config in the trace is enough to run the same strategy again.
    let again: StrategyConfig = serde_json::from_value(state.config).unwrap();
    assert_eq!(again, strategy);
}

#[test]
fn garbage_is_refused_with_a_clear_error() {
    for input in [
        "",
        "null",
        "[]",
        r#"{"format":"thinkscale.trace","version":1,"events":[{"type":"nope"}]}"#,
    ] {
        let error = Trace::from_json(input).unwrap_err();
        assert!(error.to_string().starts_with("invalid trace"), "{input}: {error}");
    }
}
