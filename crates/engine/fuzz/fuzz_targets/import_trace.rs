//! Trace import must never panic; whatever it accepts must replay and round-trip.

#![no_main]

use libfuzzer_sys::fuzz_target;
use thinkscale_engine::Trace;

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else { return };
    let Ok(trace) = Trace::from_json(json) else { return };
    let state = trace.replay().expect("an imported trace replays");
    let again = Trace::from_json(&trace.to_json().expect("an imported trace exports"))
        .expect("an exported trace imports");
    assert_eq!(again.replay().expect("and replays").events, state.events);
    let _ = trace.without_deltas().replay().expect("without deltas it still replays");
});
