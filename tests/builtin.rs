//! The built-in model on the real SmolLM2 file: generation, seeds, stop strings, logprobs,
//! batched samples, cancellation, bad input, a strategy end to end — and its tokenizer and
//! forward pass checked against llama.cpp's on the same weights.

use std::sync::OnceLock;
use std::time::Duration;

use futures::StreamExt;
use thinkscale_builtin::BuiltinModel;
use thinkscale_builtin::tokenizer::Tokenizer;
use thinkscale_engine::model::{Chunk, FinishReason, Message, ModelErrorKind, Request, Response};
use thinkscale_engine::prelude::*;
use thinkscale_engine::strategy::{Sampling, SelfConsistency, StrategyConfig};

use crate::support::{Streamed, post_json, read_choices, require_server, server_root, token_ids};

/// The re-quantized SmolLM2 (`THINKSCALE_BUILTIN_MODEL`, set by scripts/test from
/// `scripts/models path smollm2-135m-q8`), loaded once for the whole module.
pub(crate) fn model() -> &'static BuiltinModel {
    static MODEL: OnceLock<BuiltinModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        let path = std::env::var("THINKSCALE_BUILTIN_MODEL").expect(
            "set THINKSCALE_BUILTIN_MODEL to `scripts/models path smollm2-135m-q8` (scripts/test does)",
        );
        BuiltinModel::open(path).expect("the built-in model loads")
    })
}

fn ask(question: &str) -> Request {
    Request::new(vec![Message::user(question)])
}

#[tokio::test(flavor = "multi_thread")]
async fn generates_text_and_counts_its_tokens() {
    let response =
        model().complete(ask("What is 2 + 2?").temperature(0.0).max_tokens(24)).await.unwrap();
    let completion = &response.completions[0];
    assert!(completion.text.contains('4'), "{:?}", completion.text);
    assert!(completion.usage.prompt_tokens > 10);
    assert!((1..=24).contains(&completion.usage.completion_tokens));
}

/// The forward pass, tokenizer and chat template together: on the very file llama.cpp serves,
/// greedy decoding follows llama.cpp token for token, and wherever the two part (not before the
/// fourth token), llama.cpp's own log-probabilities put our token within 0.5 nats of its choice:
/// a near-tie. The two do not compute alike: llama.cpp rounds activations to 8 bits before its
/// quantized (Q4_1) matrix products and sums in another order, and by the fifteenth token that
/// drift has tipped choices 0.26 nats apart. A broken model parts
/// at once or by a wide margin (swapping the rotary layout fails this test).
#[tokio::test(flavor = "multi_thread")]
async fn greedy_tokens_follow_llama_cpp_on_the_same_weights() {
    let root = server_root();
    require_server(&root).await;
    let file = std::env::var("THINKSCALE_SERVER_MODEL_FILE").expect(
        "set THINKSCALE_SERVER_MODEL_FILE to the GGUF file the server runs (scripts/test does)",
    );
    assert_greedy_follows_llama_cpp(&root, &BuiltinModel::open(file).unwrap()).await;
}

/// Qwen2.5 (the `qwen2` architecture: attention biases, split rotary halves, its own split rule
/// and default system message) against llama.cpp serving the same file.
#[tokio::test(flavor = "multi_thread")]
async fn qwen_tokenizes_and_decodes_like_llama_cpp() {
    let root =
        std::env::var("THINKSCALE_QWEN_URL").unwrap_or_else(|_| "http://127.0.0.1:8791".into());
    require_server(&root).await;
    let file = std::env::var("THINKSCALE_QWEN_MODEL_FILE").expect(
        "set THINKSCALE_QWEN_MODEL_FILE to `scripts/models path qwen-0.5b` (scripts/test does)",
    );
    let qwen = BuiltinModel::open(file).unwrap();
    let default_system = qwen.loaded().weights().template.default_system().map(str::to_owned);
    assert_eq!(
        default_system.as_deref(),
        Some("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")
    );
    assert_tokenizer_matches_llama_cpp(&root, &qwen.loaded().weights().tokenizer).await;
    assert_greedy_follows_llama_cpp(&root, &qwen).await;
}

async fn assert_greedy_follows_llama_cpp(root: &str, ours: &BuiltinModel) {
    let mut identical = 0;
    for question in
        ["What is the capital of France?", "Write a haiku about rain.", "List three prime numbers."]
    {
        let body = serde_json::json!({
            "messages": [{ "role": "user", "content": question }], "temperature": 0, "max_tokens": 32,
            "logprobs": true, "top_logprobs": 5,
        });
        let reply = post_json(root, "/v1/chat/completions", &body).await;
        // llama.cpp lists the end-of-turn token too (empty text); ours does not.
        let theirs: Vec<serde_json::Value> = reply["choices"][0]["logprobs"]["content"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["token"].as_str() != Some(""))
            .cloned()
            .collect();
        let request = ask(question).temperature(0.0).max_tokens(32).logprobs(true);
        let mine = ours.complete(request).await.unwrap().completions.remove(0).logprobs.unwrap();
        // Compare over the longer of the two: one ending early is a parting too.
        let token_at = |at: usize| mine.get(at).map(|m| m.token.as_str());
        let parted = (0..mine.len().max(theirs.len()))
            .find(|&at| token_at(at) != theirs.get(at).and_then(|t| t["token"].as_str()));
        let Some(at) = parted else {
            identical += 1;
            continue;
        };
        let (Some(our_token), Some(their_entry)) = (token_at(at), theirs.get(at)) else {
            panic!("{question}: one side ended at token {at}: ours {mine:?}, llama.cpp {theirs:?}");
        };
        let chosen = their_entry["logprob"].as_f64().unwrap();
        let ours_there = their_entry["top_logprobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|alt| alt["token"].as_str() == Some(our_token))
            .and_then(|alt| alt["logprob"].as_f64());
        assert!(
            at >= 3 && ours_there.is_some_and(|l| chosen - l < 0.5),
            "{question}: parted at token {at}: ours {our_token:?}, llama.cpp {} (logprob {chosen}, ours there {ours_there:?})",
            their_entry["token"]
        );
    }
    assert!(identical >= 1, "no greedy text followed llama.cpp's to the end");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_seed_gives_the_same_text_and_another_seed_another() {
    let request = |seed| {
        ask("Write one sentence about the sea.").temperature(0.9).max_tokens(32).seed(seed).n(2)
    };
    let first = model().complete(request(11)).await.unwrap();
    let again = model().complete(request(11)).await.unwrap();
    let other = model().complete(request(12)).await.unwrap();
    let texts = |r: &Response| r.completions.iter().map(|c| c.text.clone()).collect::<Vec<_>>();
    assert_eq!(texts(&first), texts(&again));
    assert_ne!(texts(&first), texts(&other));
    // The two samples of one request are independent draws, not copies.
    assert_ne!(first.completions[0].text, first.completions[1].text);
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_strings_end_the_text_before_them() {
    let request =
        ask("Count from 1 to 20, separated by commas.").temperature(0.0).max_tokens(80).stop("7");
    let response = model().complete(request).await.unwrap();
    let completion = &response.completions[0];
    assert!(completion.text.contains('6'), "{:?}", completion.text);
    assert!(!completion.text.contains('7'), "{:?}", completion.text);
    assert_eq!(completion.finish_reason, FinishReason::Stop);
}

#[tokio::test(flavor = "multi_thread")]
async fn logprobs_are_finite_and_one_per_visible_token() {
    let request = ask("Say hello.").temperature(0.7).max_tokens(12).seed(5).logprobs(true);
    let completion = model().complete(request).await.unwrap().completions.remove(0);
    let logprobs = completion.logprobs.expect("logprobs were asked for");
    assert!(!logprobs.is_empty());
    assert!(logprobs.iter().all(|t| t.logprob.is_finite() && t.logprob <= 0.0), "{logprobs:?}");
    let joined: String = logprobs.iter().map(|t| t.token.as_str()).collect();
    assert_eq!(joined.trim_end(), completion.text.trim_end());
}

#[tokio::test(flavor = "multi_thread")]
async fn streamed_deltas_add_up_to_each_samples_text() {
    let request = ask("Name a colour.").temperature(0.8).max_tokens(16).seed(3).n(4);
    let Streamed { texts, finished, done } = read_choices(model().stream(request), 4).await;
    let done = done.expect("a final response");
    let finals: Vec<String> = done.completions.iter().map(|c| c.text.clone()).collect();
    assert_eq!(texts, finals);
    // Every sample was handed over as it ended, exactly as the final response lists it.
    let finished: Vec<_> =
        finished.into_iter().map(|f| f.expect("every choice finished")).collect();
    assert_eq!(finished, done.completions);
    // The shared prompt is counted once.
    let prompts: Vec<u64> = done.completions.iter().map(|c| c.usage.prompt_tokens).collect();
    assert!(prompts[0] > 0 && prompts[1..].iter().all(|&p| p == 0), "{prompts:?}");
}

/// See issue 13: a batch's samples end at different times, and each is handed over (so that a
/// run stopped mid-batch keeps it) while the others still generate.
#[tokio::test(flavor = "multi_thread")]
async fn a_sample_that_ends_is_finished_while_the_others_still_generate() {
    let request = ask("Name a fruit.").temperature(1.0).max_tokens(60).seed(21).n(6);
    let mut stream = std::pin::pin!(model().stream(request));
    let mut finished_while_streaming = false;
    let mut finished = 0;
    while let Some(chunk) = stream.next().await {
        match chunk.unwrap() {
            Chunk::Finished { completion, .. } => {
                finished += 1;
                assert!(completion.usage.completion_tokens > 0);
            }
            Chunk::Delta { .. } if finished > 0 => finished_while_streaming = true,
            _ => {}
        }
    }
    assert_eq!(finished, 6);
    assert!(finished_while_streaming, "no sample was finished before the last one streamed");
}

/// See issue 13: a batch whose key/value cache would not fit is refused before it starts, with
/// the numbers and what to change.
#[tokio::test(flavor = "multi_thread")]
async fn a_batch_whose_cache_would_not_fit_is_refused() {
    // SmolLM2-135M keeps 30 layers × 3 key/value heads × 64 wide × (key + value) × 4 bytes.
    let small = model().clone().with_cache_budget(200 << 20);
    let error = small.complete(ask("hi").max_tokens(1000).n(16)).await.unwrap_err();
    assert_eq!(error.kind, ModelErrorKind::InvalidRequest);
    assert!(error.message.contains("46080 bytes per position"), "{}", error.message);
    assert!(error.message.contains("fewer samples (at most 3 fit"), "{}", error.message);
    assert!(small.complete(ask("hi").max_tokens(8).n(2)).await.is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_decodes_what_single_requests_decode() {
    // Greedy: every row of a batch must follow the same path as a request of its own.
    let request = ask("What is 3 + 4?").temperature(0.0).max_tokens(20);
    let single = model().complete(request.clone()).await.unwrap().completions.remove(0).text;
    let batch = model().complete(request.n(3)).await.unwrap();
    for completion in &batch.completions {
        assert_eq!(completion.text, single);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dropping_the_stream_stops_generation() {
    // A model of its own: the shared one counts the other tests' requests as in flight too.
    let model = BuiltinModel::open(std::env::var("THINKSCALE_BUILTIN_MODEL").unwrap()).unwrap();
    let request = ask("Tell me a long story about dragons.").temperature(0.8).max_tokens(400);
    {
        let mut stream = std::pin::pin!(model.stream(request));
        let first = stream.next().await.unwrap().unwrap();
        assert!(matches!(first, Chunk::Delta { .. }));
    }
    // The thread notices the closed channel before its next token.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while model.requests_in_flight() > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(model.requests_in_flight(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn impossible_requests_and_files_get_clear_errors() {
    let error = model().complete(ask("hi").n(0)).await.unwrap_err();
    assert_eq!(error.kind, ModelErrorKind::InvalidRequest);
    let error = model().complete(ask("hi").max_tokens(1_000_000)).await.unwrap_err();
    assert!(error.message.contains("exceed the context"), "{}", error.message);

    let not_a_model = std::env::temp_dir().join("thinkscale-not-a-model.gguf");
    std::fs::write(&not_a_model, b"<html>404</html>").unwrap();
    let error = BuiltinModel::open(&not_a_model).unwrap_err();
    assert!(error.to_string().contains("not a usable GGUF model file"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn self_consistency_with_four_samples_runs_on_the_built_in_model() {
    let strategy = StrategyConfig::SelfConsistency(SelfConsistency {
        samples: 4,
        sampling: Sampling {
            temperature: Some(0.7),
            max_tokens: 96,
            seed: Some(1),
            ..Sampling::default()
        },
        ..SelfConsistency::default()
    });
    let task = Task::new("What is 5 + 3? End with 'The answer is N'.");
    let mut recording = RecordingSink::new();
    let outcome = Runner::new(model()).run(&strategy, &task, &mut recording).await.unwrap();
    let events = recording.into_trace().events;
    let finished =
        events.iter().filter(|e| matches!(e.kind, EventKind::BranchFinished { .. })).count();
    assert_eq!(finished, 4);
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::VoteTallied { .. })));
    assert!(outcome.answer.is_some(), "no sample produced an answer: {:?}", outcome.stop);
    assert!(outcome.spend.completion_tokens > 0);
}

/// The tokenizer written for the built-in model produces llama.cpp's tokens on real text.
#[tokio::test(flavor = "multi_thread")]
async fn the_tokenizer_matches_llama_cpp_token_for_token() {
    let root = server_root();
    require_server(&root).await;
    assert_tokenizer_matches_llama_cpp(&root, &model().loaded().weights().tokenizer).await;
}

async fn assert_tokenizer_matches_llama_cpp(root: &str, tokenizer: &Tokenizer) {
    let mut texts: Vec<String> = crate::data::jsonl("gsm8k_test_dev.jsonl")
        .iter()
        .take(40)
        .map(|row| row["question"].as_str().unwrap().to_owned())
        .collect();
    texts.extend(
        [
            "  leading spaces",
            "tabs\tand\r\nCRLF",
            "naïve café — «déjà vu» 数学 🙂",
            "I'm sure they'll've",
            "x=3.14159e-10;\n\n\ny",
        ]
        .map(String::from),
    );
    for text in texts {
        let expected = token_ids(root, &text).await;
        assert_eq!(tokenizer.encode(&text).unwrap(), expected, "{text:?}");
    }
}
