//! Fuzzes the server-sent-events parser: any bytes, split anywhere, must parse without a panic
//! and give exactly the events (and the same end state) as when they arrive in one piece.
#![no_main]

use libfuzzer_sys::fuzz_target;
use thinkscale_providers::sse::{SseEvent, SseParser};

/// The events and whether the stream ended cleanly; `None` after a line- or event-too-long
/// error.
fn parse(pieces: &[&[u8]]) -> Option<(Vec<SseEvent>, bool)> {
    let mut parser = SseParser::with_max_line_bytes(4096).with_max_event_bytes(8192);
    let mut events = Vec::new();
    for piece in pieces {
        parser.push(piece, &mut events).ok()?;
    }
    let clean = parser.finish().is_ok();
    Some((events, clean))
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, stream)) = data.split_first() else { return };
    let cut = usize::from(cut) % (stream.len() + 1);
    let (head, tail) = stream.split_at(cut);
    let whole = parse(&[stream]);
    let split = parse(&[head, tail]);
    // A too-long line or event is an error however it is split; otherwise the results are
    // identical, and no event holds more data than the cap.
    assert_eq!(whole.is_none(), split.is_none());
    if let (Some(whole), Some(split)) = (whole, split) {
        assert!(whole.0.iter().all(|event| event.data.len() <= 8192));
        assert_eq!(whole, split);
    }
});
