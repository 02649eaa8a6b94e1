//! One request's generation: prefill the prompt once, then decode all its samples as a batch.
//!
//! [`Generation`] is a step machine rather than a loop, so that each platform drives it its own
//! way: natively a thread calls [`Generation::step`] until done and stops when the receiver is
//! gone; in the browser the Worker yields to its message queue between steps, so a cancel message
//! lands within one token. Each step emits the text deltas that are safe to show, and a
//! [`Chunk::Finished`] for every sample that ended in it, so that a finished sample is never
//! lost when the rest of its batch is stopped.
//!
//! A batch's key/value cache grows with its samples and their length, so [`Generation::start`]
//! refuses a batch whose cache would exceed the model's budget ([`Loaded::cache_budget`]),
//! naming the numbers, instead of running the process (or the browser's wasm memory) out.

use std::sync::Arc;

use thinkscale_engine::model::{
    Channel, Chunk, Completion, FinishReason, Request, Response, TokenLogprob, Usage,
};

use crate::kv_cache::{self, KvCache};
use crate::sampler::{Sampled, Sampler};
use crate::text_stream::TextStream;
use crate::transformer::{Rotary, forward};
use crate::weights::Weights;
use crate::{Error, entropy};

/// The most samples one request may decode together.
pub const MAX_BATCH: u32 = 16;
/// Tokens generated when a request sets no limit.
pub const DEFAULT_MAX_TOKENS: u32 = 512;
/// The most bytes one request's key/value cache may take by default. In the browser the wasm
/// module's memory is at most 4 GiB and already holds the downloaded file and the weights
/// (about twice the file: 0.3 GB for SmolLM2-135M, 1 GB for Qwen2.5-0.5B) and the prefill's
/// scratch, so a cache of 1 GiB leaves room for all of them. Natively memory is the machine's:
/// 4 GiB lets SmolLM2-135M run 16 samples over its whole 4,096-position context (3 GB).
#[cfg(target_arch = "wasm32")]
pub const DEFAULT_CACHE_BUDGET: u64 = 1 << 30;
/// The most bytes one request's key/value cache may take by default (see the wasm32 value).
#[cfg(not(target_arch = "wasm32"))]
pub const DEFAULT_CACHE_BUDGET: u64 = 4 << 30;

/// A loaded model, ready to generate; cheap to clone and share between threads.
#[derive(Debug, Clone)]
pub struct Loaded {
    weights: Arc<Weights>,
    rotary: Arc<Rotary>,
    cache_budget: u64,
}

impl Loaded {
    /// Prepares a model for generation with contexts of up to `context` positions (clamped to
    /// what the model was trained for).
    pub fn new(weights: Weights, context: usize) -> Result<Self, Error> {
        let positions = context.clamp(16, weights.config.context.max(16));
        let rotary = Rotary::new(&weights, positions)?;
        Ok(Self {
            weights: Arc::new(weights),
            rotary: Arc::new(rotary),
            cache_budget: DEFAULT_CACHE_BUDGET,
        })
    }

    /// Sets the most bytes one request's key/value cache may take (default
    /// [`DEFAULT_CACHE_BUDGET`]); a request needing more is refused before it starts.
    pub fn with_cache_budget(self, bytes: u64) -> Self {
        Self { cache_budget: bytes, ..self }
    }

    /// The most bytes one request's key/value cache may take.
    pub fn cache_budget(&self) -> u64 {
        self.cache_budget
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
    /// Samples that finished since the last drain, in the order they did.
    finished: Vec<usize>,
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
        model.check_cache(request.n, prompt.len() + max_tokens as usize)?;
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
            finished: Vec::new(),
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

    /// Text produced by the first token of every sample (the prefill's), as deltas, and a
    /// [`Chunk::Finished`] for each sample that ended with it. Call once, before the first
    /// [`Generation::step`].
    pub fn first_chunks(&mut self) -> Vec<Chunk> {
        self.drain()
    }

    /// Decodes one more token for every unfinished sample and returns the text deltas, then a
    /// [`Chunk::Finished`] for each sample that ended with this token.
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
        Ok(self.drain())
    }

    /// The final response (call when [`Generation::is_done`]). The shared prompt is counted once,
    /// on the first completion, so that usage sums stay true.
    pub fn finish(self) -> Response {
        let prompt_tokens = self.prompt_tokens;
        let completions = self
            .samples
            .into_iter()
            .enumerate()
            .map(|(index, sample)| {
                let usage = sample.usage(index, prompt_tokens);
                let mut completion = Completion::new(sample.stream.text(), usage);
                completion.finish_reason = sample.finish.unwrap_or(FinishReason::Length);
                completion.logprobs = sample.logprobs;
                completion
            })
            .collect();
        Response { completions }
    }

    /// The deltas since the last drain, then the samples finished since then.
    fn drain(&mut self) -> Vec<Chunk> {
        let mut chunks = Vec::new();
        for (choice, sample) in self.samples.iter_mut().enumerate() {
            let text = std::mem::take(&mut sample.delta);
            if !text.is_empty() {
                chunks.push(Chunk::Delta { choice: choice as u32, channel: Channel::Text, text });
            }
        }
        for index in std::mem::take(&mut self.finished) {
            let Some(sample) = self.samples.get(index) else { continue };
            let usage = sample.usage(index, self.prompt_tokens);
            let mut completion = Completion::new(sample.stream.text(), usage);
            completion.finish_reason = sample.finish.unwrap_or(FinishReason::Length);
            completion.logprobs = sample.logprobs.clone();
            chunks.push(Chunk::Finished { choice: index as u32, completion });
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
                self.finished.push(index);
            }
        }
        self.cache.keep(&keep)?;
        self.rows = rows;
        Ok(())
    }
}

impl Loaded {
    /// Refuses `samples` sequences of up to `positions` positions each when their key/value
    /// cache would exceed the budget.
    fn check_cache(&self, samples: u32, positions: usize) -> Result<(), Error> {
        let per_position = kv_cache::bytes_per_position(&self.weights.config);
        // Storage grows in steps, so it may hold a step more than the sequences need.
        let positions = (positions + kv_cache::GROWTH) as u64;
        let per_sample = positions.saturating_mul(per_position);
        let needed = per_sample.saturating_mul(u64::from(samples));
        if needed <= self.cache_budget {
            return Ok(());
        }
        let fit = self.cache_budget / per_sample.max(1);
        let advice = if fit == 0 {
            "ask for fewer max tokens or send a shorter prompt".to_owned()
        } else {
            format!("ask for fewer samples (at most {fit} fit at this length) or fewer max tokens")
        };
        Err(Error::InvalidRequest(format!(
            "{samples} samples of up to {positions} positions need {} of key/value cache \
             ({samples} × {positions} positions × {per_position} bytes per position), more than \
             the {} the built-in model may use here: {advice}",
            mebibytes(needed),
            mebibytes(self.cache_budget)
        )))
    }
}

fn mebibytes(bytes: u64) -> String {
    format!("{} MiB", bytes.div_ceil(1 << 20))
}

impl Sample {
    /// This sample's usage; the shared prompt is counted on the first sample only, so that
    /// usage sums stay true.
    fn usage(&self, index: usize, prompt_tokens: u32) -> Usage {
        Usage {
            prompt_tokens: if index == 0 { u64::from(prompt_tokens) } else { 0 },
            completion_tokens: u64::from(self.tokens),
            reasoning_tokens: 0,
        }
    }

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

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use thinkscale_engine::model::Message;

    use super::*;
    use crate::testutil;

    fn tiny() -> Loaded {
        let weights = Weights::read(&mut Cursor::new(testutil::tiny_model().bytes())).unwrap();
        Loaded::new(weights, 256).unwrap()
    }

    /// Every chunk of a request, in order.
    fn run(model: &Loaded, request: &Request) -> (Vec<Chunk>, Response) {
        let mut generation = model.start(request).unwrap();
        let mut chunks = generation.first_chunks();
        while !generation.is_done() {
            chunks.extend(generation.step().unwrap());
        }
        (chunks, generation.finish())
    }

    #[test]
    fn each_sample_is_finished_the_moment_it_ends_and_the_response_still_lists_all() {
        // The tiny model emits bytes at random: with every printable character a stop string,
        // its samples end after different numbers of tokens.
        let stops: Vec<String> = (b'!'..=b'~').map(|byte| char::from(byte).to_string()).collect();
        let mut request =
            Request::new(vec![Message::user("hi")]).n(8).max_tokens(40).seed(7).logprobs(true);
        request.temperature = Some(1.0);
        request.stop = stops;
        let (chunks, response) = run(&tiny(), &request);
        assert_eq!(response.completions.len(), 8);

        let at = |wanted: &dyn Fn(&Chunk) -> bool| chunks.iter().position(wanted);
        for (choice, completion) in response.completions.iter().enumerate() {
            let choice = choice as u32;
            let finished: Vec<&Completion> = chunks
                .iter()
                .filter_map(|chunk| match chunk {
                    Chunk::Finished { choice: c, completion } if *c == choice => Some(completion),
                    _ => None,
                })
                .collect();
            assert_eq!(finished, [completion], "choice {choice} is finished once, as in the end");
            let finished_at =
                at(&|c| matches!(c, Chunk::Finished { choice: c, .. } if *c == choice));
            let last_delta = chunks
                .iter()
                .rposition(|c| matches!(c, Chunk::Delta { choice: c, .. } if *c == choice));
            assert!(last_delta < finished_at, "choice {choice} streamed after it finished");
        }
        // At least one sample was handed over while another was still streaming.
        let first_finished = at(&|c| matches!(c, Chunk::Finished { .. })).unwrap();
        let last_delta = chunks.iter().rposition(|c| matches!(c, Chunk::Delta { .. })).unwrap();
        assert!(first_finished < last_delta, "every sample was finished only at the end");
        let prompts: Vec<u64> =
            response.completions.iter().map(|c| c.usage.prompt_tokens).collect();
        assert!(prompts[0] > 0 && prompts[1..].iter().all(|&p| p == 0), "{prompts:?}");
    }

    #[test]
    fn a_batch_whose_cache_would_not_fit_is_refused_with_the_numbers() {
        // The tiny model keeps 2 layers × 1 key/value head × 4 wide × (key + value) × 4 bytes.
        let per_position = 64;
        let model = tiny().with_cache_budget(per_position * 1000);
        let request = Request::new(vec![Message::user("hi")]).max_tokens(100);
        let error = model.start(&request.clone().n(8)).unwrap_err().to_string();
        assert!(error.starts_with("invalid request: 8 samples of up to"), "{error}");
        assert!(error.contains("64 bytes per position"), "{error}");
        assert!(error.contains("at most 3 fit at this length"), "{error}");
        assert!(model.start(&request.clone().n(3)).is_ok());
        let error = tiny().with_cache_budget(1000).start(&request).unwrap_err().to_string();
        assert!(error.contains("fewer max tokens or send a shorter prompt"), "{error}");
    }
}
