//! Answer extraction on real benchmark solutions, not just hand-written strings.

use thinkscale::engine::model::FinishReason;
use thinkscale::prelude::*;

use crate::data;

/// The number after GSM8K's `####`, as the dataset writes it.
fn gold(answer: &str) -> String {
    answer.rsplit("####").next().unwrap().trim().replace(',', "")
}

#[test]
fn gsm8k_reference_solutions_extract_their_gold_answer() {
    let rows = data::jsonl("gsm8k_test_dev.jsonl");
    assert!(rows.len() > 1000, "{} rows", rows.len());
    let parser = Extractor::number().compile().unwrap();
    for row in &rows {
        let solution = row["answer"].as_str().unwrap();
        let found = parser.extract(solution, FinishReason::Stop).expect(solution);
        assert_eq!(found.key, gold(solution), "{solution}");
    }
}

#[test]
fn without_the_marker_the_last_number_usually_is_the_answer() {
    // GSM8K reasoning without its `#### N` line: the fallback must still find most answers, and
    // must give up entirely on truncated text.
    let rows = data::jsonl("gsm8k_test_dev.jsonl");
    let parser = Extractor::number().compile().unwrap();
    let mut right = 0;
    for row in &rows {
        let solution = row["answer"].as_str().unwrap();
        let reasoning = solution.split("####").next().unwrap();
        if parser.extract(reasoning, FinishReason::Stop).is_some_and(|a| a.key == gold(solution)) {
            right += 1;
        }
        assert_eq!(parser.extract(reasoning, FinishReason::Length), None);
    }
    let share = right as f64 / rows.len() as f64;
    eprintln!("GSM8K last-number fallback: {right} of {} solutions", rows.len());
    assert!(share > 0.95, "the last number was the answer in {right} of {} solutions", rows.len());
}

#[test]
fn math500_boxed_answers_match_the_reference() {
    let rows = data::jsonl("math500_test.jsonl");
    assert_eq!(rows.len(), 500);
    let boxed = Extractor::Boxed.compile().unwrap();
    let answer_is = Extractor::AnswerIs.compile().unwrap();
    let mut mismatches = Vec::new();
    for row in &rows {
        let solution = row["solution"].as_str().unwrap();
        let reference = row["answer"].as_str().unwrap();
        let found = boxed.extract(solution, FinishReason::Stop).map(|a| a.key);
        // The reference, stated as "The answer is: …", normalises to the same key.
        let expected = answer_is
            .extract(&format!("The answer is: {reference}"), FinishReason::Stop)
            .map(|a| a.key);
        if found.is_none() || found != expected {
            mismatches.push((reference.to_owned(), found));
        }
    }
    eprintln!("MATH-500 boxed extraction: {} of 500 differ from the reference", mismatches.len());
    assert!(mismatches.is_empty(), "{} mismatches: {mismatches:#?}", mismatches.len());
}

#[test]
fn svamp_numeric_answers_normalise() {
    let rows = data::jsonl("svamp_test.jsonl");
    let parser = Extractor::number().compile().unwrap();
    for row in &rows {
        let value = row["Answer"].as_f64().unwrap();
        let written = format!("The answer is: {value:.1}");
        let key = parser.extract(&written, FinishReason::Stop).unwrap().key;
        let expected =
            if value.fract() == 0.0 { format!("{}", value as i64) } else { format!("{value}") };
        assert_eq!(key, expected, "{written}");
    }
}
