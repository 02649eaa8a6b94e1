//! Extraction on the shapes real models produce.

use super::*;

fn extract(extractor: &Extractor, text: &str) -> Option<String> {
    extractor.compile().ok()?.extract(text, FinishReason::Stop).map(|a| a.key)
}

fn truncated(extractor: &Extractor, text: &str) -> Option<String> {
    extractor.compile().ok()?.extract(text, FinishReason::Length).map(|a| a.key)
}

/// The `auto` extractor's key for `text`, a reply to `question`.
fn auto_key(question: &str, text: &str) -> Option<String> {
    let parser = Extractor::Auto.compile().ok()?.for_question(question);
    parser.extract(text, FinishReason::Stop).map(|a| a.key)
}

#[test]
fn gsm8k_style_numbers() {
    let number = Extractor::number();
    assert_eq!(extract(&number, "She pays 3 * 4 = 12 dollars.\n#### 12").as_deref(), Some("12"));
    assert_eq!(extract(&number, "#### $1,080.00").as_deref(), Some("1080"));
    assert_eq!(extract(&number, "The answer is: -5 degrees.").as_deref(), Some("-5"));
    assert_eq!(extract(&number, "The answer is 2.50.").as_deref(), Some("2.5"));
    assert_eq!(extract(&number, "Answer: 75%").as_deref(), Some("75"));
    assert_eq!(extract(&number, r"So the total is $\boxed{\frac{3}{4}}$").as_deref(), Some("0.75"));
    assert_eq!(extract(&number, r"\boxed{1{,}000}").as_deref(), Some("1000"));
    assert_eq!(
        extract(&number, "He has 5 apples, then 3 more, so 8 apples.").as_deref(),
        Some("8")
    );
}

#[test]
fn markers_outrank_later_numbers() {
    let number = Extractor::number();
    let text = "#### 18\nThat is 18 eggs, sold at 2 dollars each.";
    assert_eq!(extract(&number, text).as_deref(), Some("18"));
    assert_eq!(extract(&number, r"The answer is \boxed{42}. Step 3 done.").as_deref(), Some("42"));
}

#[test]
fn no_answer_rather_than_a_guess() {
    let number = Extractor::number();
    // A marker without a number does not fall back to some other number in the text.
    assert_eq!(extract(&number, "I computed 12 and 15. The answer is unclear."), None);
    // Truncated text: the last number is mid-reasoning, not an answer.
    assert_eq!(truncated(&number, "First, 3 + 4 = 7. Then 7 * 2 ="), None);
    assert_eq!(extract(&number, "I do not know."), None);
    let strict = Extractor::Number { last_number_fallback: false };
    assert_eq!(extract(&strict, "so 8 apples"), None);
    // A box cut off by the token limit is not an answer either.
    assert_eq!(truncated(&Extractor::Boxed, r"\boxed{12"), None);
}

#[test]
fn auto_handles_text_and_numbers() {
    let auto = Extractor::Auto;
    assert_eq!(extract(&auto, "The answer is: Paris.").as_deref(), Some("paris"));
    assert_eq!(extract(&auto, "The answer is: The Eiffel Tower").as_deref(), Some("eiffel tower"));
    assert_eq!(extract(&auto, "The answer is x = 7").as_deref(), Some("7"));
    assert_eq!(extract(&auto, "3 + 4 = 7").as_deref(), Some("7"));
    // One short line with no marker is the answer; longer prose without one is not.
    assert_eq!(extract(&auto, "No digits, no marker.").as_deref(), Some("no digits, no marker"));
    let haiku = "Crisp leaves drift and fall\nAmber light on quiet paths\nThe year exhales slow";
    assert_eq!(extract(&auto, haiku), None);
    assert_eq!(truncated(&auto, "Canberra, the"), None, "a cut-off reply is no answer");
}

#[test]
fn short_text_answers_share_a_key_whatever_their_phrasing() {
    let key = |text: &str| auto_key("What is the capital of Australia?", text);
    for text in [
        "The answer is: Canberra",
        "The capital of Australia is Canberra.",
        "canberra.",
        "**Canberra**",
        "Australia's capital is Canberra.",
        "It's Canberra.",
        "Let me think. Canberra was chosen as a compromise.\nThe answer is: Canberra.",
    ] {
        assert_eq!(key(text).as_deref(), Some("canberra"), "{text}");
    }
    assert_eq!(key("Sydney").as_deref(), Some("sydney"));
    assert_eq!(key("The capital of Australia is Sydney.").as_deref(), Some("sydney"));
}

#[test]
fn a_quoted_answer_inside_a_restatement_loses_its_quotes() {
    // Seen with Qwen2.5 0.5B (crates/cli/data/short-answers.jsonl): three buckets for "Au".
    let key = |text: &str| auto_key("What is the chemical symbol for gold?", text);
    for text in ["The chemical symbol for gold is \"Au\".", "Au", "The answer is: **Au**"] {
        assert_eq!(key(text).as_deref(), Some("au"), "{text}");
    }
}

#[test]
fn formulas_subscripts_and_number_words_share_a_key_with_their_plain_form() {
    // Seen with Qwen2.5 0.5B on the short-answer set: "H2O" in a one-line reply was no answer
    // (a digit made it look like a number), "H₂O" its own bucket, "four" apart from "4".
    let key = |text: &str| auto_key("What is the chemical formula of water?", text);
    for text in [
        "The chemical formula of water is H2O.",
        "The chemical formula of water is H₂O.",
        "The answer is: H2O",
    ] {
        assert_eq!(key(text).as_deref(), Some("h2o"), "{text}");
    }
    let key = |text: &str| auto_key("How many legs does a spider have?", text);
    assert_eq!(key("The answer is: eight.").as_deref(), Some("8"));
    assert_eq!(key("The answer is: 8").as_deref(), Some("8"));
    assert_eq!(key("A spider has eight legs.").as_deref(), Some("8"));
    assert_eq!(
        key("There are 11 continents on Earth.").as_deref(),
        Some("11"),
        "a number in a line is still the number"
    );
}

#[test]
fn multiple_choice_letters() {
    let choice = Extractor::Choice { letters: "ABCD".into() };
    assert_eq!(extract(&choice, "Thinking... The answer is (c).").as_deref(), Some("C"));
    assert_eq!(extract(&choice, "Answer: B) because").as_deref(), Some("B"));
    assert_eq!(extract(&choice, "Between (A) and (D), I pick (D)").as_deref(), Some("D"));
    assert_eq!(extract(&choice, "The answer is (E)"), None, "E is not a listed choice");
    assert_eq!(extract(&choice, "A good answer is hard to find"), None);
    assert!(Extractor::Choice { letters: String::new() }.compile().is_err());
}

#[test]
fn caller_regex_uses_first_group_of_last_match() {
    let regex = Extractor::Regex { pattern: r"RESULT=(\w+)".into() };
    assert_eq!(extract(&regex, "RESULT=1 then RESULT=0042").as_deref(), Some("42"));
    let long = Extractor::Regex { pattern: "a".repeat(MAX_PATTERN_CHARS + 1) };
    let error = long.compile().unwrap_err().to_string();
    assert!(error.contains("task.extractor.pattern") && error.contains("256"), "{error}");
    assert!(Extractor::Regex { pattern: "a".repeat(MAX_PATTERN_CHARS) }.compile().is_ok());
    let whole = Extractor::Regex { pattern: r"[A-Z]{3}".into() };
    assert_eq!(extract(&whole, "codes: ABC, XYZ").as_deref(), Some("xyz"));
    let bad = Extractor::Regex { pattern: "(unclosed".into() };
    let error = bad.compile().map(|_| ()).unwrap_err();
    assert!(error.to_string().contains("task.extractor.pattern"), "{error}");
}

#[test]
fn keys_compare_equal_across_notations() {
    let number = Extractor::number();
    let keys: Vec<_> = ["#### 0.5", r"\boxed{\frac{1}{2}}", "The answer is 1/2", "Answer: .50"]
        .iter()
        .map(|t| extract(&number, t))
        .collect();
    assert!(keys.iter().all(|k| k.as_deref() == Some("0.5")), "{keys:?}");
}

#[test]
fn extractor_json_shape() {
    let parsed: Extractor = serde_json::from_str(r#"{"kind":"choice","letters":"AB"}"#).unwrap();
    assert_eq!(parsed, Extractor::Choice { letters: "AB".into() });
    let parsed: Extractor = serde_json::from_str(r#"{"kind":"number"}"#).unwrap();
    assert_eq!(parsed, Extractor::number());
    let error = serde_json::from_str::<Extractor>(r#"{"kind":"number","fallback":true}"#);
    assert!(error.unwrap_err().to_string().contains("unknown field `fallback`"));
}

#[test]
fn lowercase_article_is_not_a_choice() {
    let choice = Extractor::Choice { letters: "ABCD".into() };
    assert_eq!(extract(&choice, "The answer is a tricky one: (b)").as_deref(), Some("B"));
}

#[test]
fn a_megabyte_answer_is_cut_and_long_answers_that_differ_late_still_vote_apart() {
    let parser = Extractor::AnswerIs.compile().unwrap();
    let long = |tail: &str| format!("The answer is: {}{tail}", "word ".repeat(200_000));
    let a = parser.extract(&long("alpha"), FinishReason::Stop).unwrap();
    let b = parser.extract(&long("beta"), FinishReason::Stop).unwrap();
    assert!(a.text.chars().count() <= MAX_ANSWER_CHARS + 1 && a.text.ends_with('…'));
    assert!(a.key.len() < 2 * MAX_ANSWER_CHARS);
    assert_ne!(a.key, b.key, "the hash of the whole key keeps them apart");
    let short = parser.extract("The answer is: Canberra.", FinishReason::Stop).unwrap();
    assert_eq!(short.clone().bounded(), short, "short answers are untouched");
}

#[test]
fn latex_that_never_closes_costs_one_pass_not_one_per_command() {
    // 150,000 unclosed `\text{`: each used to scan to the end of the text (minutes in all).
    let hostile = format!("The answer is: {}", r"\text{".repeat(150_000));
    let parser = Extractor::Auto.compile().unwrap();
    assert!(parser.extract(&hostile, FinishReason::Stop).is_some());
    // Groups are still matched as before: the unclosed one stays, the closed ones are rewritten.
    assert_eq!(text::clean_latex(r"\text{ \text{kg}"), r"\text{ kg");
    assert_eq!(text::clean_latex(r"\frac{\text{a}}{2}"), "a/2");
}

#[test]
fn json_answers_are_keyed_by_their_canonical_value() {
    let json = Extractor::Json { schema: None };
    let a = "Here it is:\n```json\n{\"city\": \"Canberra\", \"population\": 467000.0}\n```";
    let b = "{ \"population\": 467000, \"city\": \"Canberra\" }";
    assert_eq!(extract(&json, a), extract(&json, b));
    assert_eq!(extract(&json, a).as_deref(), Some(r#"{"city":"Canberra","population":467000}"#));
    assert_eq!(extract(&json, "no JSON at all"), None);
    assert_eq!(truncated(&json, "{\"a\": 1} and then {\"b\": "), None, "cut off: no answer");
}

#[test]
fn a_schema_that_does_not_compile_names_the_field() {
    let bad = Extractor::Json { schema: Some(serde_json::json!({"type": 12})) };
    let error = bad.compile().map(|_| ()).unwrap_err().to_string();
    assert!(error.contains("task.extractor.schema"), "{error}");
}

#[cfg(feature = "json-schema")]
#[test]
fn a_schema_makes_values_that_do_not_fit_no_answer() {
    let schema = serde_json::json!({
        "type": "object",
        "required": ["city"],
        "properties": {"city": {"type": "string"}}
    });
    let json = Extractor::Json { schema: Some(schema) };
    assert_eq!(
        extract(&json, "```json\n{\"city\": \"Canberra\"}\n```").as_deref(),
        Some(r#"{"city":"Canberra"}"#)
    );
    assert_eq!(extract(&json, "```json\n{\"town\": \"Canberra\"}\n```"), None);
    assert_eq!(extract(&json, "```json\n{\"city\": 7}\n```"), None);
}
