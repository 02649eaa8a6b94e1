//! Conversations and structured answers through the bindings, in headless Chromium: `engine.run`
//! takes a question, an array of `{ role, content }` turns or `{ messages }`; the model receives
//! every turn; the trace records them; input of the wrong shape is refused with an error naming
//! the field; and JSON answers vote on their value, checked against a JSON Schema.
//!
//! Run: `scripts/test` (or as `tests/web.rs` says).

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use js_sys::{Array, Object, Reflect};
use thinkscale_js::Engine;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

mod support;
use support::{get, js, settle, string};

wasm_bindgen_test_configure!(run_in_browser);

/// An engine whose model answers "Tokyo" and keeps the messages of its last request in
/// `globalThis.lastMessages`.
fn recording_engine() -> Engine {
    let provider = js(r#"{ kind: "custom", async generate(request) {
        globalThis.lastMessages = request.messages;
        return "Japan's capital is Tokyo.\nThe answer is: Tokyo";
    } }"#);
    let options = Object::new();
    Reflect::set(&options, &"provider".into(), &provider).unwrap();
    Engine::new(options.into(), None).unwrap()
}

const FOLLOW_UP: &str = r#"[
    { role: "system", content: "Answer in one word." },
    { role: "user", content: "What is the capital of Australia?" },
    { role: "assistant", content: "Canberra" },
    { role: "user", content: "And of Japan?" }
]"#;

#[wasm_bindgen_test]
async fn a_follow_up_reaches_the_model_with_every_turn_before_it() {
    let engine = recording_engine();
    for input in [js(FOLLOW_UP), js(&format!("{{ messages: {FOLLOW_UP} }}"))] {
        let result = settle(engine.run(input, None)).await.unwrap();
        assert_eq!(string(&get(&result, "answer"), "key"), "tokyo");
        let sent: Array = js("globalThis.lastMessages").unchecked_into();
        let roles: Vec<String> = sent.iter().map(|m| string(&m, "role")).collect();
        assert_eq!(roles, ["system", "user", "assistant", "user"]);
        assert_eq!(string(&sent.get(2), "content"), "Canberra");
        assert!(string(&sent.get(3), "content").starts_with("And of Japan?"));
        let started = get(&get(&get(&result, "trace"), "events"), "0");
        assert_eq!(string(&started, "question"), "And of Japan?");
        let recorded: Array = get(&started, "messages").unchecked_into();
        assert_eq!(recorded.length(), 4, "the trace records the whole conversation");
    }
}

#[wasm_bindgen_test]
async fn input_of_the_wrong_shape_names_the_field() {
    let engine = recording_engine();
    for (input, field) in [
        ("42", "question"),
        ("null", "question"),
        ("[]", "messages"),
        ("{}", "messages"),
        (r#"{ messages: [{ role: "user", content: "hi" }], extra: 1 }"#, "extra"),
        (r#"[{ role: "bot", content: "hi" }]"#, "messages[0].role"),
        (r#"[{ role: "user" }]"#, "messages[0]"),
        (r#"[{ role: "user", content: 7 }]"#, "messages[0].content"),
        (
            r#"[{ role: "user", content: "hi" }, { role: "assistant", content: "hello" }]"#,
            "messages[1].role",
        ),
        (r#"[{ role: "user", content: "  " }]"#, "question"),
    ] {
        let error = settle(engine.run(js(input), None)).await.expect_err(input);
        assert_eq!(string(&error, "code"), "invalid_config", "{input}");
        assert_eq!(string(&error, "field"), field, "{input}: {}", string(&error, "message"));
    }
    assert!(js("globalThis.lastMessages === undefined").is_truthy(), "no input reached the model");
}

#[wasm_bindgen_test]
async fn json_answers_vote_on_their_value_and_a_schema_is_refused_clearly() {
    let provider = js(r#"{ kind: "custom", async generate(request) {
        globalThis.jsonCalls = (globalThis.jsonCalls ?? 0) + 1;
        return ["```json\n{\"city\": \"Canberra\", \"rank\": 1}\n```",
                "Here: {\"rank\": 1.0, \"city\": \"Canberra\"}",
                "```json\n{\"town\": \"Sydney\"}\n```"][(globalThis.jsonCalls - 1) % 3];
    } }"#);
    let options = Object::new();
    Reflect::set(&options, &"provider".into(), &provider).unwrap();
    let engine = Engine::new(options.into(), None).unwrap();
    let run_options = js(r#"{ strategy: { kind: "selfConsistency", samples: 3, concurrency: 1 },
        extractor: { kind: "json" } }"#);
    let result =
        settle(engine.run("Which city?".into(), Some(run_options.unchecked_into()))).await.unwrap();
    let answer = get(&result, "answer");
    assert_eq!(string(&answer, "key"), r#"{"city":"Canberra","rank":1}"#);
    let votes: Array = get(&result, "votes").unchecked_into();
    assert_eq!(get(&votes.get(0), "votes").as_f64(), Some(2.0), "key order and 1 vs 1.0 agree");

    // The npm build leaves JSON Schemas out (they would triple its size): a schema is refused
    // before any call, naming the field, rather than silently not checked.
    let calls = js("globalThis.jsonCalls");
    let with_schema = js(r#"{ extractor: { kind: "json", schema: { type: "object" } } }"#);
    let error = settle(engine.run("q".into(), Some(with_schema.unchecked_into())))
        .await
        .expect_err("schema");
    assert_eq!(string(&error, "field"), "extractor.schema", "{}", string(&error, "message"));
    assert!(string(&error, "message").contains("JSON Schema"), "{}", string(&error, "message"));
    assert_eq!(js("globalThis.jsonCalls"), calls, "nothing was asked of the model");
}
