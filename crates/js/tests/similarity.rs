//! The caller's similarity from JavaScript, in headless Chromium: `similarity(a, b)` or
//! `embed(text)` decides which free-form replies are one cluster (here against wording); and a
//! similarity that throws, returns NaN, a number outside [0, 1] or a Promise, or an embedding
//! that is empty, not numbers or of another length, stops the run with a `CallbackError` that
//! keeps every finished sample — never a silent 0. Options of the wrong type are refused first.
//!
//! Run: `scripts/test` (or as `tests/web.rs` says).

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use js_sys::{Array, Object, Reflect};
use thinkscale_js::Engine;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

mod support;
use support::{get, js, settle, string};

wasm_bindgen_test_configure!(run_in_browser);

/// Two sunsets worded alike, three poems about leaves worded apart, in turn.
fn poet() -> Engine {
    let provider = js(r#"{ kind: "custom", async generate() {
        const poems = [
            "Red sun sinking low / the sea is burning / evening comes",
            "Leaves fall from the oak",
            "Red sun sinking low / the sky is burning / evening comes",
            "A maple lets go of its last leaf",
            "Wind takes the yellow leaves away",
        ];
        globalThis.poem = ((globalThis.poem ?? -1) + 1) % poems.length;
        return poems[globalThis.poem];
    } }"#);
    let options = Object::new();
    Reflect::set(&options, &"provider".into(), &provider).unwrap();
    Engine::new(options.into(), None).unwrap()
}

/// Five free-form samples, one at a time (so the poems arrive in order), with `extra` options.
fn options(extra: &str) -> JsValue {
    js("globalThis.poem = -1");
    js(&format!(
        r#"{{ strategy: {{ kind: "selfConsistency", samples: 5, concurrency: 1 }},
             extractor: {{ kind: "freeForm" }}, {extra} }}"#
    ))
}

async fn run(engine: &Engine, extra: &str) -> Result<JsValue, JsValue> {
    settle(engine.run("Write a haiku about autumn.".into(), Some(options(extra).unchecked_into())))
        .await
}

const LEAFY: &str = "globalThis.leafy = (t) => /leaf|leaves/i.test(t)";

#[wasm_bindgen_test]
async fn a_callers_similarity_or_embedding_decides_the_clusters() {
    let engine = poet();
    let by_wording = run(&engine, "").await.unwrap();
    assert!(string(&by_wording, "text").starts_with("Red sun"), "text similarity: the sunsets");

    js(LEAFY);
    for extra in [
        "similarity: (a, b) => Number(leafy(a) === leafy(b))",
        // Float32Array, as embedding libraries return; the sunsets point elsewhere.
        "embed: (t) => new Float32Array(leafy(t) ? [1, 0.1] : [0.1, 1])",
        "embed: (t) => leafy(t) ? [1, 0] : [0, 1]",
    ] {
        let result = run(&engine, extra).await.unwrap();
        let text = string(&result, "text");
        assert!(js(&format!("leafy({text:?})")).is_truthy(), "{extra}: {text}");
        let votes: Array = get(&result, "votes").unchecked_into();
        assert_eq!(get(&votes.get(0), "votes").as_f64(), Some(3.0), "{extra}");
    }
}

#[wasm_bindgen_test]
async fn a_similarity_that_fails_stops_the_run_and_keeps_the_samples() {
    let engine = poet();
    js(LEAFY);
    for (extra, says) in [
        (
            "similarity: () => { throw new Error('model offline'); }",
            "similarity threw: model offline",
        ),
        ("similarity: () => NaN", "similarity returned NaN"),
        ("similarity: () => 3", "similarity returned 3"),
        ("similarity: () => 'close'", "similarity returned the string \"close\""),
        ("similarity: async () => 1", "similarity returned a Promise"),
        ("embed: async (t) => [1]", "embed returned a Promise"),
        ("embed: () => []", "embed returned an empty vector"),
        ("embed: () => ['a', 'b']", "entry 0 is not a finite number"),
        ("embed: () => 7", "embed returned 7"),
        ("embed: (t) => leafy(t) ? [1, 0] : [1, 0, 0]", "different lengths"),
        ("embed: () => [0, 0]", "zero vector"),
    ] {
        let error = run(&engine, extra).await.expect_err(extra);
        assert_eq!(string(&error, "name"), "CallbackError", "{extra}");
        assert_eq!(string(&error, "code"), "callback_failed", "{extra}");
        let message = string(&error, "message");
        assert!(message.contains(says), "{extra}: {message}");
        assert!(message.contains("so the run was stopped"), "{message}");
        let branches: Array = get(&get(&error, "result"), "branches").unchecked_into();
        let done = branches.iter().filter(|b| string(b, "status") == "done").count();
        assert!(done >= 2, "{extra}: the samples that finished are kept ({done})");
    }
}

#[wasm_bindgen_test]
async fn similarity_options_of_the_wrong_type_are_refused_before_any_call() {
    let engine = poet();
    for (extra, field) in [
        ("similarity: 0.5", "similarity"),
        ("embed: [1, 2]", "embed"),
        ("similarity: () => 1, embed: () => [1]", "embed"),
    ] {
        let error = run(&engine, extra).await.expect_err(extra);
        assert_eq!(string(&error, "code"), "invalid_config", "{extra}");
        assert_eq!(string(&error, "field"), field, "{extra}: {}", string(&error, "message"));
    }
    assert!(js("globalThis.poem === -1").is_truthy(), "the model was never called");
}
