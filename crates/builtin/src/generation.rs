//! One request's generation: prefill the prompt once, then decode all its samples as a batch.
//!
//! [`Generation`] is a step machine rather than a loop, so that each platform drives it its own
//! way: natively a thread calls [`Generation::step`] until done and stops when the receiver is
//! gone; in the browser the Worker yields to its message queue between steps, so a cancel message
//! lands within one token. Each step emits the text deltas that are safe to show.

use std::sync::Arc;

use thinkscale_engine::model::{
    Channel, Chunk, Completion, FinishReason, Request, Response, TokenLogprob, Usage,
};

use crate::kv_cache::KvCache;
use crate::sampler::{Sampled, Sampler};
use crate::text_stream::TextStream;
use crate::transformer::{Rotary, forward};
use crate::weights::Weights;
use crate::{Error, entropy};

/// The most samples one request may decode together.
pub const MAX_BATCH: u32 = 16;
/// Tokens generated when a request sets no limit.
pub const DEFAULT_MAX_TOKENS: u32 = 512;

/// A loaded model, ready to generate; cheap to clone and share between threads.
#[derive(Debug, Clone)]
pub struct Loaded {
    weights: Arc<Weights>,
    rotary: Arc<Rotary>,
}

impl Loaded {
    /// Prepares a model for generation with contexts of up to `context` positions (clamped to
    /// what the model was trained for).
    pub fn new(weights: Weights, context: usize) -> Result<Self, Error> {
        let positions = context.clamp(16, weights.config.context.max(16));
        let rotary = Rotary::new(&weights, positions)?;
        Ok(Self { weights: Arc::new(weights), rotary: Arc::new(rotary) })
    }

    /// The weights.
    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    /// Starts a request: checks it, encodes the prompt and prefills it.
    pub fn start(&self, request: &Request) -> Result<Generation, Error> {
        Generation::start(self.clone(), request, false)
    }

    /// Like [`Loaded::start`], but every sample runs to `max_tokens`, ignoring end-of-turn and
    /// stop strings: for benchmarks that must compare equal amounts of work.
    pub fn start_exact(&self, request: &Request) -> Result<Generation, Error> {
        Generation::start(self.clone(), request, true)
    }
}

/// The state of one sample.
#[derive(Debug)]
struct Sample {
    sampler: Sampler,
    stream: TextStream,
    tokens: u32,
    logprobs: Option<Vec<TokenLogprob>>,
    finish: Option<FinishReason>,
    next: u32,
    /// Text shown since the last drain.
    delta: String,
}

/// A request being generated.
#[derive(Debug)]
pub struct Generation {
    model: Loaded,
    cache: KvCache,
    samples: Vec<Sample>,
    /// The sample each cache row belongs to.
    rows: Vec<usize>,
    prompt_tokens: u32,
    max_tokens: u32,
    exact: bool,
}

impl Generation {
    fn start(model: Loaded, request: &Request, exact: bool) -> Result<Self, Error> {
        let weights = &model.weights;
        if request.n == 0 || request.n > MAX_BATCH {
            return Err(Error::InvalidRequest(format!(
                "n must be 1..={MAX_BATCH}, got {}",
                request.n
            )));
        }
        let temperature = request.temperature.unwrap_or(0.7);
        if !temperature.is_finite() || temperature < 0.0 {
            return Err(Error::InvalidRequest(format!(
                "temperature must be ≥ 0, got {temperature}"
            )));
        }
        let top_p = request.top_p.unwrap_or(1.0);
        if !(top_p > 0.0 && top_p <= 1.0) {
            return Err(Error::InvalidRequest(format!("top_p must be in (0, 1], got {top_p}")));
        }
        let prompt = weights.template.prompt(&request.messages, &weights.tokenizer)?;
        let max_tokens = request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
        let room = model.rotary.positions();
        if prompt.len() + max_tokens as usize > room {
            return Err(Error::InvalidRequest(format!(
                "the prompt ({} tokens) plus max_tokens ({max_tokens}) exceed the context of {room} tokens",
                prompt.len()
            )));
        }
        let mut prefix = KvCache::new(&weights.config, 1);
        let logits = forward(weights, &model.rotary, &mut prefix, &prompt)?;
        let logits: Vec<f32> = logits.squeeze(0)?.to_vec1()?;
        let seed = request.seed.unwrap_or_else(entropy);
        let mut samples = Vec::with_capacity(request.n as usize);
        for choice in 0..u64::from(request.n) {
            // Each sample its own stream, derived from the request's seed.
            let mut sampler =
                Sampler::new(temperature, top_p, seed ^ choice.wrapping_mul(0xD1B5_4A32_D192_ED03));
            let Sampled { token, logprob } = sampler.sample(&logits)?;
            let mut sample = Sample {
                sampler,
                stream: TextStream::new(&request.stop),
                tokens: 0,
                logprobs: request.logprobs.then(Vec::new),
                finish: None,
                next: token,
                delta: String::new(),
            };
            sample.record(weights, token, logprob);
            samples.push(sample);
        }
        let cache = prefix.fork(samples.len())?;
        let mut generation = Self {
            model,
            cache,
            rows: (0..samples.len()).collect(),
            samples,
            prompt_tokens: prompt.len() as u32,
            max_tokens,
            exact,
        };
        generation.retire_finished()?;
        Ok(generation)
    }

    /// Tokens in the prompt.
    pub fn prompt_tokens(&self) -> u32 {
        self.prompt_tokens
    }

    /// Whether every sample has finished.
    pub fn is_done(&self) -> bool {
        self.rows.is_empty()
    }

    /// Text produced by the first token of every sample (the prefill's), as deltas. Call once,
    /// before the first [`Generation::step`].
    pub fn first_deltas(&mut self) -> Vec<Chunk> {
        self.drain_deltas()
    }

    /// Decodes one more token for every unfinished sample and returns the text deltas.
    pub fn step(&mut self) -> Result<Vec<Chunk>, Error> {
        if self.is_done() {
            return Ok(Vec::new());
        }
        let inputs: Vec<u32> =
            self.rows.iter().filter_map(|&s| self.samples.get(s)).map(|s| s.next).collect();
        let logits = forward(&self.model.weights, &self.model.rotary, &mut self.cache, &inputs)?;
        let logits: Vec<Vec<f32>> = logits.to_vec2()?;
        for (&index, row) in self.rows.iter().zip(&logits) {
            if let Some(sample) = self.samples.get_mut(index) {
                let Sampled { token, logprob } = sample.sampler.sample(row)?;
                sample.next = token;
                sample.record(&self.model.weights, token, logprob);
            }
        }
        self.retire_finished()?;
        Ok(self.drain_deltas())
    }

    /// The final response (call when [`Generation::is_done`]). The shared prompt is counted once,
    /// on the first completion, so that usage sums stay true.
    pub fn finish(self) -> Response {
        let completions = self
            .samples
            .into_iter()
            .enumerate()
            .map(|(index, sample)| {
                let prompt_tokens = if index == 0 { u64::from(self.prompt_tokens) } else { 0 };
                let usage = Usage {
                    prompt_tokens,
                    completion_tokens: u64::from(sample.tokens),
                    reasoning_tokens: 0,
                };
                let mut completion = Completion::new(sample.stream.text(), usage);
                completion.finish_reason = sample.finish.unwrap_or(FinishReason::Length);
                completion.logprobs = sample.logprobs;
                completion
            })
            .collect();
        Response { completions }
    }

    fn drain_deltas(&mut self) -> Vec<Chunk> {
        let mut chunks = Vec::new();
        for (choice, sample) in self.samples.iter_mut().enumerate() {
            let text = std::mem::take(&mut sample.delta);
            if !text.is_empty() {
                chunks.push(Chunk::Delta { choice: choice as u32, channel: Channel::Text, text });
            }
        }
        chunks
    }

    /// Drops finished samples from the batch.
    fn retire_finished(&mut self) -> Result<(), Error> {
        let stop_tokens = &self.model.weights.stop_tokens;
        let mut keep = Vec::with_capacity(self.rows.len());
        let mut rows = Vec::with_capacity(self.rows.len());
        for (row, &index) in self.rows.iter().enumerate() {
            let Some(sample) = self.samples.get_mut(index) else { continue };
            if sample.finish.is_none() {
                let ended = sample.stream.stopped() || stop_tokens.contains(&sample.next);
                if ended && !self.exact {
                    sample.finish = Some(FinishReason::Stop);
                } else if sample.tokens >= self.max_tokens {
                    sample.finish = Some(FinishReason::Length);
                }
            }
            if sample.finish.is_none() {
                keep.push(row as u32);
                rows.push(index);
            } else {
                sample.flush();
            }
        }
        self.cache.keep(&keep)?;
        self.rows = rows;
        Ok(())
    }
}

impl Sample {
    /// Accounts for a newly sampled token and feeds its bytes to the text stream.
    fn record(&mut self, weights: &Weights, token: u32, logprob: f32) {
        self.tokens += 1;
        if weights.stop_tokens.contains(&token) {
            return;
        }
        let bytes = weights.tokenizer.token_bytes(token);
        if let Some(logprobs) = &mut self.logprobs {
            let text = String::from_utf8_lossy(bytes).into_owned();
            logprobs.push(TokenLogprob { token: text, logprob: f64::from(logprob) });
        }
        let shown = self.stream.push(bytes);
        self.delta.push_str(&shown);
    }

    /// Releases text held back for a possible stop string, at the end of the sample.
    fn flush(&mut self) {
        let rest = self.stream.finish();
        self.delta.push_str(&rest);
    }
}
