//! Answer extraction must never panic, whatever the text, extractor or regex.
//!
//! The first byte picks the extractor and whether the text was truncated; for the regex
//! extractor the input up to the first newline is the pattern, for the others that line is the
//! question (text answers are keyed without a restatement of it). Extraction must also be
//! deterministic and give non-empty keys, and answers no longer than the bound.

#![no_main]

use libfuzzer_sys::fuzz_target;
use thinkscale_engine::Extractor;
use thinkscale_engine::answer::MAX_ANSWER_CHARS;
use thinkscale_engine::model::FinishReason;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let (head, body) = text.split_once('\n').unwrap_or((text.as_ref(), ""));
    let (extractor, text) = match selector % 8 {
        0 => (Extractor::Auto, body),
        1 => (Extractor::number(), body),
        2 => (Extractor::Number { last_number_fallback: false }, body),
        3 => (Extractor::Boxed, body),
        4 => (Extractor::Choice { letters: "ABCDE".into() }, body),
        5 => (Extractor::AnswerIs, body),
        6 => (Extractor::Json { schema: None }, body),
        _ => (Extractor::Regex { pattern: head.to_owned() }, body),
    };
    let Ok(parser) = extractor.compile() else { return };
    let parser = parser.for_question(head);
    let finish = if selector & 0x80 == 0 { FinishReason::Stop } else { FinishReason::Length };
    let first = parser.extract(text, finish);
    assert_eq!(first, parser.extract(text, finish), "extraction is deterministic");
    if let Some(answer) = first {
        assert!(!answer.key.is_empty(), "an answer has a non-empty key");
        assert!(answer.text.chars().count() <= MAX_ANSWER_CHARS + 1, "answers are bounded");
    }
});
