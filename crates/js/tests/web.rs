//! The bindings in headless Chromium (wasm-bindgen-test): options are validated with errors that
//! name the field, events reach `onEvent` in order, an `AbortSignal` stops a run, provider
//! failures become coded errors, the stream iterates, and bad traces are refused.
//!
//! Models here are JS functions (`{ kind: "custom" }`), so the tests are deterministic; the real
//! HTTP providers are exercised against llama.cpp by `tests/npm` through the packed package.
//!
//! Run: `scripts/test` (or `cargo test -p thinkscale-js --target wasm32-unknown-unknown` with the
//! runner set up as scripts/test does).

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use js_sys::{Array, Function, Object, Promise, Reflect};
use thinkscale_js::{Engine, export_trace, import_trace, replay_trace};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

mod support;
use support::{get, js, settle, string};

wasm_bindgen_test_configure!(run_in_browser);

/// An engine whose model answers every sample with `text`, streaming it word by word.
fn engine_answering(text: &str) -> Engine {
    let provider = js(&format!(
        r#"{{ kind: "custom", id: "fixture", maxN: 4, async generate(request, {{ onDelta }}) {{
            const text = {text:?};
            const completions = [];
            for (let choice = 0; choice < request.n; choice++) {{
                for (const word of text.split(/(?= )/)) onDelta({{ choice, text: word }});
                completions.push({{ text, finishReason: "stop",
                    usage: {{ promptTokens: 5, completionTokens: 7, reasoningTokens: 0 }} }});
            }}
            return {{ completions }};
        }} }}"#
    ));
    let options = Object::new();
    Reflect::set(&options, &"provider".into(), &provider).unwrap();
    Engine::new(options.into(), None).unwrap()
}

#[wasm_bindgen_test]
fn invalid_engine_options_throw_errors_that_name_the_field() {
    for (options, field) in [
        ("{}", "provider"),
        (r#"{ provider: { kind: "openai", model: "m" } }"#, "provider.baseURL"),
        (r#"{ provider: { kind: "custom" } }"#, "provider.generate"),
        (
            r#"{ provider: { kind: "custom", generate() {} }, budget: { maxSamples: 0 } }"#,
            "budget.maxSamples",
        ),
        (r#"{ provider: { kind: "custom", generate() {} }, temperature: 1 }"#, "temperature"),
    ] {
        let error = Engine::new(js(options), None).expect_err(options);
        assert_eq!(string(&error, "name"), "InvalidConfigError", "{options}");
        assert_eq!(string(&error, "code"), "invalid_config", "{options}");
        assert_eq!(string(&error, "field"), field, "{options}");
        assert!(error.is_instance_of::<js_sys::Error>());
    }
}

#[wasm_bindgen_test]
async fn events_arrive_in_order_and_the_result_has_the_vote() {
    let engine = engine_answering("2 + 2 = 4. The answer is: 4");
    let events = Array::new();
    let options = js(r#"{ strategy: { kind: "selfConsistency", samples: 3 } }"#);
    let push = Function::new_with_args("event", "this.push(event)").bind0(&events);
    Reflect::set(&options, &"onEvent".into(), &push).unwrap();
    let result =
        settle(engine.run("What is 2 + 2?".into(), Some(options.unchecked_into()))).await.unwrap();
    assert_eq!(string(&get(&result, "answer"), "key"), "4");
    let types: Vec<String> = events.iter().map(|e| string(&e, "type")).collect();
    assert_eq!(types.first().map(String::as_str), Some("runStarted"));
    assert_eq!(types.last().map(String::as_str), Some("runFinished"));
    assert_eq!(types.iter().filter(|t| *t == "branchFinished").count(), 3);
    assert!(types.iter().any(|t| t == "tokenDelta"));
    assert!(types.iter().any(|t| t == "voteTallied"));
    let spend = get(&result, "spend");
    assert_eq!(get(&spend, "completionTokens").as_f64(), Some(21.0));
    assert!(get(&spend, "elapsedMs").as_f64().is_some(), "the JS clock stamps the run");
}

#[wasm_bindgen_test]
async fn an_abort_signal_stops_the_run_and_the_providers_call() {
    let provider = js(r#"{ kind: "custom", generate(request, { signal }) {
        return new Promise((_, reject) => signal.addEventListener("abort", () => {
            globalThis.providerSawAbort = true;
            reject(new DOMException("stopped", "AbortError"));
        }));
    } }"#);
    let options = Object::new();
    Reflect::set(&options, &"provider".into(), &provider).unwrap();
    let engine = Engine::new(options.into(), None).unwrap();
    let controller = web_sys::AbortController::new().unwrap();
    let run_options = Object::new();
    Reflect::set(&run_options, &"signal".into(), &controller.signal()).unwrap();
    let run = engine.run("q".into(), Some(JsValue::from(run_options).unchecked_into()));
    settle(js("new Promise((resolve) => setTimeout(resolve, 30))").unchecked_into()).await.unwrap();
    controller.abort();
    let error = settle(run).await.expect_err("aborted");
    assert_eq!(string(&error, "name"), "AbortError");
    assert_eq!(string(&error, "code"), "aborted");
    assert_eq!(string(&get(&get(&error, "result"), "stop"), "kind"), "cancelled");
    assert_eq!(js("globalThis.providerSawAbort === true"), JsValue::TRUE);
}

#[wasm_bindgen_test]
async fn provider_failures_become_coded_errors_with_the_partial_result() {
    let provider = js(r#"{ kind: "custom", async generate() {
        throw Object.assign(new Error("bad key"), { status: 401 });
    } }"#);
    let options = Object::new();
    Reflect::set(&options, &"provider".into(), &provider).unwrap();
    let engine = Engine::new(options.into(), None).unwrap();
    let error = settle(engine.run("q".into(), None)).await.expect_err("auth");
    assert_eq!(string(&error, "name"), "AuthenticationError");
    assert_eq!(string(&error, "code"), "auth");
    assert_eq!(get(&error, "status").as_f64(), Some(401.0));
    assert_eq!(string(&error, "providerMessage"), "bad key");
    let branches: Array = get(&get(&error, "result"), "branches").unchecked_into();
    assert_eq!(string(&branches.get(0), "status"), "failed");

    let bad_options = js(r#"{ strategy: { kind: "selfConsistency", samples: -1 } }"#);
    let error = settle(engine.run("q".into(), Some(bad_options.unchecked_into())))
        .await
        .expect_err("invalid");
    assert_eq!(string(&error, "field"), "strategy");
}

#[wasm_bindgen_test]
async fn the_stream_iterates_every_event_then_ends() {
    let engine = engine_answering("The answer is: 9");
    let iterator = engine
        .stream(
            "q".into(),
            Some(js(r#"{ strategy: { kind: "selfConsistency", samples: 2 } }"#).unchecked_into()),
        )
        .unwrap();
    let next: Function = get(&iterator, "next").unchecked_into();
    let mut types = Vec::new();
    loop {
        let step = settle(next.call0(&iterator).unwrap().unchecked_into()).await.unwrap();
        if get(&step, "done") == JsValue::TRUE {
            break;
        }
        types.push(string(&get(&step, "value"), "type"));
    }
    assert_eq!(types.first().map(String::as_str), Some("runStarted"));
    assert_eq!(types.last().map(String::as_str), Some("runFinished"));

    // Two next() calls before either settles: each gets its own event, in order.
    let iterator = engine.stream("q".into(), None).unwrap();
    let next: Function = get(&iterator, "next").unchecked_into();
    let first: Promise = next.call0(&iterator).unwrap().unchecked_into();
    let second: Promise = next.call0(&iterator).unwrap().unchecked_into();
    let (first, second) = (settle(first).await.unwrap(), settle(second).await.unwrap());
    assert_eq!(string(&get(&first, "value"), "type"), "runStarted");
    assert_eq!(string(&get(&second, "value"), "type"), "branchStarted");
    let async_iterator = Reflect::get(&iterator, &js_sys::Symbol::async_iterator()).unwrap();
    assert!(async_iterator.is_function(), "usable with for await");
}

#[wasm_bindgen_test]
async fn traces_round_trip_and_bad_ones_are_refused() {
    let engine = engine_answering("The answer is: 3");
    let result = settle(engine.run("q".into(), None)).await.unwrap();
    let exported = export_trace(get(&result, "trace"), None).unwrap();
    let imported = import_trace(exported.clone().into()).unwrap();
    let replayed = replay_trace(imported).unwrap();
    assert_eq!(string(&get(&replayed, "answer"), "key"), "3");
    let error = import_trace(r#"{"format":"thinkscale.trace","version":1,"events":[{"atMs":0,"type":"branchCancelled","id":0}]}"#.into())
        .expect_err("inconsistent");
    assert_eq!(string(&error, "code"), "invalid_trace");
    assert!(string(&error, "message").contains("event 0"), "{}", string(&error, "message"));
}

/// An engine on a custom provider written in JS (`generate` is the body of an async function of
/// `request, context`).
fn engine_with(generate: &str, extra: &str) -> Engine {
    let provider = js(&format!(
        "{{ kind: \"custom\", {extra} async generate(request, context) {{ {generate} }} }}"
    ));
    let options = Object::new();
    Reflect::set(&options, &"provider".into(), &provider).unwrap();
    Engine::new(options.into(), None).unwrap()
}

#[wasm_bindgen_test]
async fn a_throwing_on_event_rejects_with_the_partial_result_and_the_thrown_value_as_cause() {
    let engine = engine_answering("The answer is: 4");
    let options = js(r#"{ strategy: { kind: "selfConsistency", samples: 3 },
        onEvent(event) { if (event.type === "branchFinished") throw new Error("my handler broke"); } }"#);
    let error =
        settle(engine.run("q".into(), Some(options.unchecked_into()))).await.expect_err("thrown");
    assert_eq!(string(&error, "name"), "CallbackError");
    assert_eq!(string(&error, "code"), "callback_failed");
    assert!(string(&error, "message").contains("my handler broke"));
    assert_eq!(string(&get(&error, "cause"), "message"), "my handler broke");
    let result = get(&error, "result");
    assert_eq!(string(&get(&result, "stop"), "kind"), "stoppedBySink");
    let branches: Array = get(&result, "branches").unchecked_into();
    assert!(branches.iter().any(|b| string(&b, "status") == "done"), "what finished is kept");
}

#[wasm_bindgen_test]
async fn nan_and_infinite_limits_are_refused_not_read_as_no_limit() {
    let engine = engine_answering("The answer is: 4");
    for (options, field) in [
        ("{ budget: { maxTokens: NaN } }", "budget.maxTokens"),
        ("{ budget: { maxWallMs: Infinity } }", "budget.maxWallMs"),
        (
            "{ strategy: { kind: \"selfConsistency\", sampling: { temperature: NaN } } }",
            "strategy.sampling.temperature",
        ),
    ] {
        let error = settle(engine.run("q".into(), Some(js(options).unchecked_into())))
            .await
            .expect_err(options);
        assert_eq!(string(&error, "code"), "invalid_config", "{options}");
        assert_eq!(string(&error, "field"), field, "{options}");
        assert!(string(&error, "message").contains("finite"), "{options}");
    }
    let error = Engine::new(
        js(r#"{ provider: { kind: "custom", generate() {} }, budget: { maxCostUsd: -Infinity } }"#),
        None,
    )
    .expect_err("engine budget");
    assert_eq!(string(&error, "field"), "budget.maxCostUsd");
}

#[wasm_bindgen_test]
async fn a_provider_that_calls_on_delta_from_a_to_json_fails_its_call_without_a_panic() {
    let engine = engine_with(
        r#"const delta = { text: "x", toJSON() { context.onDelta("again"); return { text: "x" }; } };
           context.onDelta(delta);
           return { completions: [{ text: "The answer is: 1", finishReason: "stop",
               usage: { promptTokens: 1, completionTokens: 1, reasoningTokens: 0 },
               toJSON() { context.onDelta("late"); return this; } }] };"#
            .replace("return this;", "const { toJSON, ...plain } = this; return plain;")
            .as_str(),
        "",
    );
    let error = settle(engine.run("q".into(), None)).await.expect_err("misuse fails the call");
    assert_eq!(string(&error, "code"), "protocol");
    assert!(string(&error, "message").contains("toJSON"), "{}", string(&error, "message"));
    // The module is alive: the next run works.
    let fine = engine_answering("The answer is: 2");
    let result = settle(fine.run("q".into(), None)).await.unwrap();
    assert_eq!(string(&get(&result, "answer"), "key"), "2");
}

#[wasm_bindgen_test]
async fn choices_reported_finished_survive_a_stop_of_their_request() {
    // Three choices in one call: two are reported complete at once, the third never ends; the
    // wall-time limit stops the run and the two answers are kept.
    let engine = engine_with(
        r#"for (const choice of [0, 1]) context.onFinish({ choice, completion: {
               text: "The answer is: 6", finishReason: "stop",
               usage: { promptTokens: choice === 0 ? 9 : 0, completionTokens: 4, reasoningTokens: 0 } } });
           await new Promise((_, reject) => context.signal.addEventListener("abort",
               () => reject(new DOMException("stopped", "AbortError"))));"#,
        "maxN: 3,",
    );
    let options =
        js(r#"{ strategy: { kind: "selfConsistency", samples: 3 }, budget: { maxWallMs: 300 } }"#);
    let result = settle(engine.run("q".into(), Some(options.unchecked_into()))).await.unwrap();
    assert_eq!(string(&get(&result, "answer"), "key"), "6");
    let branches: Array = get(&result, "branches").unchecked_into();
    let statuses: Vec<String> = branches.iter().map(|b| string(&b, "status")).collect();
    assert_eq!(statuses, ["done", "done", "cancelled"]);
    assert_eq!(string(&get(&result, "stop"), "limit"), "wallTime");
}

#[wasm_bindgen_test]
async fn the_builtin_model_runs_through_the_loader_its_engine_was_given_and_only_that() {
    let options = r#"{ provider: { kind: "builtin", model: "https://example.test/m.gguf" } }"#;
    // No loader (Node, or a page that did not pass one): a clear error, not a registry lookup.
    let error = Engine::new(js(options), None).expect_err("no loader");
    assert_eq!(string(&error, "field"), "provider.kind");
    assert!(string(&error, "message").contains("browser"), "{}", string(&error, "message"));
    // A loader turns the option into a custom provider; the run goes through it.
    let loader: Function = js(r#"(options) => ({ kind: "custom", id: "loaded:" + options.model,
        async generate() { return "The answer is: 7"; } })"#)
    .dyn_into()
    .unwrap();
    let engine = Engine::new(js(options), Some(loader)).unwrap();
    assert_eq!(engine.model(), "loaded:https://example.test/m.gguf");
    let result = settle(engine.run("q".into(), None)).await.unwrap();
    assert_eq!(string(&get(&result, "answer"), "key"), "7");
    // Another engine on the page is not given that loader by the first one.
    assert!(Engine::new(js(options), None).is_err());
}
