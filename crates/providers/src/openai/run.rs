//! Running one request of the OpenAI-compatible provider: its choices as one streamed request
//! when the server honours `n`, else as parallel single-choice requests; retries that ask only
//! for the choices still unfinished; and llama.cpp's per-choice recount.
//!
//! A choice is done when its `finish_reason` arrives (the decoder announces it then, as
//! `Chunk::Finished`). When a stream fails in a retryable way after some choices finished, the
//! retry asks for the others only (`n` = how many are left), maps the new stream's choices back
//! to the original indices, and announces a `Chunk::Retry` for each of them — never for a
//! finished choice, whose text stays as it was.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use futures::future::join_all;
use thinkscale_engine::model::{Chunk, Completion, ModelError, ModelErrorKind, Request, Response};

use super::wire::{ChatDecoder, StreamFacts};
use super::{Inner, N_IGNORED, N_NATIVE};
use crate::HttpRequest;
use crate::call::{gather, truncated};
use crate::generator::Emitter;
use crate::http::Transport;

/// What streaming a set of choices gave.
struct Streamed {
    /// The finished choices, by original index.
    done: BTreeMap<u32, Completion>,
    /// Choices the server did not return (it ignored `n`), to be fetched one by one.
    missing: Vec<u32>,
    /// What the streams revealed about the server.
    facts: StreamFacts,
}

impl<T: Transport> Inner<T> {
    pub(super) async fn run(
        &self,
        request: Request,
        emit: Emitter,
    ) -> Result<Response, ModelError> {
        let n = request.n.max(1);
        let all: Vec<u32> = (0..n).collect();
        if n > 1 && (self.native_n.load(Ordering::Relaxed) == N_IGNORED || n > self.config.max_n) {
            return self.split(&request, all, &emit).await;
        }
        let Streamed { mut done, missing, facts } =
            self.stream_choices(&request, all, &emit).await?;
        if n > 1 {
            let flag = if missing.is_empty() { N_NATIVE } else { N_IGNORED };
            self.native_n.store(flag, Ordering::Relaxed);
            self.recount(&mut done, facts).await;
        }
        let mut completions: Vec<Completion> = done.into_values().collect();
        if !missing.is_empty() {
            let rest = self.split(&request, missing, &emit).await;
            completions.extend(rest.map(|r| r.completions).unwrap_or_default());
        }
        Ok(Response { completions })
    }

    /// Streams `choices` (original indices) as one request for `n = choices.len()`, retrying
    /// the unfinished ones while the policy allows. Choices that still fail after others
    /// finished are reported as [`Chunk::Failed`]; errs only when none finished.
    async fn stream_choices(
        &self,
        request: &Request,
        choices: Vec<u32>,
        emit: &Emitter,
    ) -> Result<Streamed, ModelError> {
        let estimate = request.estimated_prompt_tokens();
        let mut pending = choices;
        let mut done = BTreeMap::new();
        let mut facts = StreamFacts::default();
        let mut attempt = 1;
        loop {
            let count = u32::try_from(pending.len()).unwrap_or(u32::MAX);
            let http = self.http(request, count);
            let mut decoder =
                ChatDecoder::new(pending.clone(), estimate).think_tags(self.config.think_tags);
            let outcome = self.endpoint.attempt(&http, &mut decoder, emit).await;
            facts.llama_cpp |= decoder.facts().llama_cpp;
            let error = match outcome {
                Ok(()) if decoder.complete() => {
                    let (streamed, _) = decoder.into_choices()?;
                    done.extend(streamed);
                    let missing = pending.into_iter().filter(|c| !done.contains_key(c)).collect();
                    return Ok(Streamed { done, missing, facts });
                }
                Ok(()) => truncated(),
                Err(error) => error,
            };
            let error = self.endpoint.scrub(error);
            done.extend(decoder.finished_choices());
            pending.retain(|choice| !done.contains_key(choice));
            if pending.is_empty() {
                // Every choice finished before the stream broke: nothing is lost.
                return Ok(Streamed { done, missing: Vec::new(), facts });
            }
            let next = attempt + 1;
            let Some(delay) = self.endpoint.retry_delay(next, &error) else {
                if done.is_empty() {
                    return Err(error);
                }
                for &choice in &pending {
                    let _ = emit.unbounded_send(Chunk::Failed { choice, error: error.clone() });
                }
                return Ok(Streamed { done, missing: Vec::new(), facts });
            };
            let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
            for &choice in &pending {
                let error = error.clone();
                let retry = Chunk::Retry { choice: Some(choice), attempt: next, error, delay_ms };
                let _ = emit.unbounded_send(retry);
            }
            self.endpoint.pause(delay).await;
            attempt = next;
        }
    }

    /// Fetches `choices` as parallel single-choice requests. Choices that fail are reported as
    /// [`Chunk::Failed`]; the others are kept.
    async fn split(
        &self,
        request: &Request,
        choices: Vec<u32>,
        emit: &Emitter,
    ) -> Result<Response, ModelError> {
        let calls = choices.into_iter().map(|choice| async move {
            let streamed = self.stream_choices(request, vec![choice], emit).await;
            (choice, streamed.map(|streamed| streamed.done.into_values().collect()))
        });
        gather(join_all(calls).await, emit)
    }

    /// Replaces the split of a multi-choice `usage` by exact per-choice counts where the server's
    /// `usage` is known to count one choice only.
    async fn recount(&self, done: &mut BTreeMap<u32, Completion>, facts: StreamFacts) {
        let tokenize = match self.config.token_counting {
            super::TokenCounting::Reported => false,
            super::TokenCounting::Tokenize => true,
            super::TokenCounting::Auto => facts.llama_cpp,
        };
        if !tokenize || done.len() < 2 {
            return;
        }
        for completion in done.values_mut() {
            if let Ok(tokens) = self.count_tokens(&completion.text).await {
                completion.usage.completion_tokens = tokens;
            }
            if let Some(reasoning) = &completion.reasoning
                && let Ok(tokens) = self.count_tokens(reasoning).await
            {
                completion.usage.reasoning_tokens = tokens;
            }
        }
    }

    async fn count_tokens(&self, text: &str) -> Result<u64, ModelError> {
        let headers = self.headers();
        let body = serde_json::json!({ "content": text, "add_special": false }).to_string();
        let request = HttpRequest { url: self.tokenize_url.clone(), headers, body };
        let bytes = self.endpoint.fetch_json(request).await?;
        let json: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ModelError::new(ModelErrorKind::Protocol, e.to_string()))?;
        let tokens = json.get("tokens").and_then(|t| t.as_array()).map(Vec::len);
        tokens.map(|t| t as u64).ok_or_else(|| {
            ModelError::new(ModelErrorKind::Protocol, "the /tokenize answer has no `tokens`")
        })
    }
}
