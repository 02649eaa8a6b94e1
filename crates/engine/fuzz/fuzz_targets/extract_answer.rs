//! Answer extraction must never panic, whatever the text, extractor or regex.
//!
//! The first byte picks the extractor and whether the text was truncated; for the regex
//! extractor the input up to the first newline is the pattern. Extraction must also be
//! deterministic and give non-empty keys, and answers no longer than the bound.

#![no_main]

use libfuzzer_sys::fuzz_target;
use thinkscale_engine::Extractor;
use thinkscale_engine::answer::MAX_ANSWER_CHARS;
use thinkscale_engine::model::FinishReason;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let (extractor, text) = match selector % 7 {
        0 => (Extractor::Auto, text.as_ref()),
        1 => (Extractor::number(), text.as_ref()),
        2 => (Extractor::Number { last_number_fallback: false }, text.as_ref()),
        3 => (Extractor::Boxed, text.as_ref()),
        4 => (Extractor::Choice { letters: "ABCDE".into() }, text.as_ref()),
        5 => (Extractor::AnswerIs, text.as_ref()),
        _ => {
            let (pattern, body) = text.split_once('\n').unwrap_or((text.as_ref(), ""));
            (Extractor::Regex { pattern: pattern.to_owned() }, body)
        }
    };
    let Ok(parser) = extractor.compile() else { return };
    let finish = if selector & 0x80 == 0 { FinishReason::Stop } else { FinishReason::Length };
    let first = parser.extract(text, finish);
    assert_eq!(first, parser.extract(text, finish), "extraction is deterministic");
    if let Some(answer) = first {
        assert!(!answer.key.is_empty(), "an answer has a non-empty key");
        assert!(answer.text.chars().count() <= MAX_ANSWER_CHARS + 1, "answers are bounded");
    }
});
