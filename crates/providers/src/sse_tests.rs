//! Tests of the server-sent-events parser: line endings, fields, splitting and limits.

use proptest::prelude::*;

use super::*;

fn parse(pieces: &[&[u8]]) -> (Vec<SseEvent>, Result<(), Error>) {
    let mut parser = SseParser::new();
    let mut events = Vec::new();
    for piece in pieces {
        if let Err(error) = parser.push(piece, &mut events) {
            return (events, Err(error));
        }
    }
    (events, parser.finish())
}

fn data(events: &[SseEvent]) -> Vec<&str> {
    events.iter().map(|e| e.data.as_str()).collect()
}

#[test]
fn parses_openai_style_stream() {
    let (events, end) = parse(&[b"data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n"]);
    assert_eq!(data(&events), ["{\"a\":1}", "{\"b\":2}", "[DONE]"]);
    assert!(events.iter().all(|e| e.event == "message"));
    assert_eq!(end, Ok(()));
}

#[test]
fn every_line_ending_works_even_split_between_pieces() {
    for stream in [
        &b"data: a\r\n\r\ndata: b\r\n\r\n"[..],
        b"data: a\r\rdata: b\r\r",
        b"data: a\n\ndata: b\n\n",
    ] {
        for split in 0..=stream.len() {
            let (head, tail) = stream.split_at(split);
            let (events, end) = parse(&[head, tail]);
            assert_eq!(data(&events), ["a", "b"], "split at {split} of {stream:?}");
            assert_eq!(end, Ok(()));
        }
    }
}

#[test]
fn comments_named_events_ids_and_multiline_data() {
    let stream =
        b": keep-alive\nevent: content_block_delta\nid: 7\ndata: line one\ndata:line two\n\n";
    let (events, _) = parse(&[stream]);
    assert_eq!(
        events,
        [SseEvent {
            event: "content_block_delta".into(),
            data: "line one\nline two".into(),
            id: Some("7".into())
        }]
    );
}

#[test]
fn an_event_without_data_is_not_dispatched_and_does_not_leak_its_name() {
    let (events, _) = parse(&[b"event: ping\n\ndata: x\n\n"]);
    assert_eq!(events.len(), 1);
    assert_eq!(events.first().map(|e| e.event.as_str()), Some("message"));
}

#[test]
fn a_stream_cut_mid_event_is_reported_and_the_partial_event_dropped() {
    let (events, end) = parse(&[b"data: whole\n\ndata: {\"half"]);
    assert_eq!(data(&events), ["whole"]);
    assert_eq!(end, Err(Error::SseIncomplete));
    // Cut after the data line but before the blank line that dispatches it.
    let (events, end) = parse(&[b"data: whole\n\ndata: {}\n"]);
    assert_eq!(data(&events), ["whole"]);
    assert_eq!(end, Err(Error::SseIncomplete));
}

#[test]
fn invalid_utf8_becomes_replacement_characters() {
    let (events, end) = parse(&[b"data: caf\xc3", b"\xa9 \xff\xfe ok\n\n"]);
    assert_eq!(data(&events), ["café \u{fffd}\u{fffd} ok"]);
    assert_eq!(end, Ok(()));
}

#[test]
fn a_leading_bom_is_skipped() {
    let (events, _) = parse(&[b"\xef\xbb\xbfdata: x\n\n"]);
    assert_eq!(data(&events), ["x"]);
}

#[test]
fn a_ten_megabyte_line_parses_in_small_pieces() {
    let payload = "x".repeat(10 * 1024 * 1024);
    let stream = format!("data: {payload}\n\n");
    let mut parser = SseParser::new();
    let mut events = Vec::new();
    for piece in stream.as_bytes().chunks(16 * 1024) {
        assert_eq!(parser.push(piece, &mut events), Ok(()));
    }
    assert_eq!(parser.finish(), Ok(()));
    assert_eq!(events.first().map(|e| e.data.len()), Some(payload.len()));
}

#[test]
fn a_line_over_the_limit_is_an_error_not_unbounded_memory() {
    let mut parser = SseParser::with_max_line_bytes(1024);
    let mut events = Vec::new();
    let long = vec![b'x'; 600];
    assert_eq!(parser.push(&long, &mut events), Ok(()));
    assert_eq!(parser.push(&long, &mut events), Err(Error::SseLineTooLong { limit: 1024 }));
}

#[test]
fn data_lines_without_the_blank_line_that_ends_an_event_are_capped() {
    let mut parser = SseParser::new().with_max_event_bytes(4096);
    let mut events = Vec::new();
    let line = format!("data: {}\n", "x".repeat(999));
    // Four lines (4,000 bytes of data and three joining newlines) fit; the fifth does not.
    for _ in 0..4 {
        assert_eq!(parser.push(line.as_bytes(), &mut events), Ok(()));
    }
    assert_eq!(
        parser.push(line.as_bytes(), &mut events),
        Err(Error::SseEventTooLarge { limit: 4096 })
    );
    assert!(events.is_empty());
    // An event under the cap is dispatched as usual, and the cap is per event.
    let mut parser = SseParser::new().with_max_event_bytes(4096);
    for _ in 0..3 {
        let event = format!("{}\n", line.repeat(4));
        assert_eq!(parser.push(event.as_bytes(), &mut events), Ok(()));
    }
    assert_eq!(events.len(), 3);
}

proptest! {
    /// However the network splits a stream, the events are the same as when it arrives whole.
    #[test]
    fn splitting_never_changes_the_events(
        lines in proptest::collection::vec("(data|event|id|: c|data:)[ a-z{}\"\u{e9}]{0,12}", 0..12),
        endings in proptest::collection::vec(prop_oneof![Just("\n"), Just("\r\n"), Just("\r")], 12),
        cuts in proptest::collection::vec(0usize..200, 0..6),
    ) {
        let mut stream = String::new();
        for (line, ending) in lines.iter().zip(endings.iter().cycle()) {
            stream.push_str(line);
            stream.push_str(ending);
            stream.push_str(ending);
        }
        let bytes = stream.as_bytes();
        let whole = parse(&[bytes]);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
        cuts.sort_unstable();
        let mut pieces = Vec::new();
        let mut start = 0;
        for cut in cuts {
            pieces.push(bytes.get(start..cut).unwrap_or_default());
            start = cut;
        }
        pieces.push(bytes.get(start..).unwrap_or_default());
        prop_assert_eq!(parse(&pieces), whole);
    }
}
