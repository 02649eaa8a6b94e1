//! A model that answers from a script: fixed replies in turn, or a function of the call.
//!
//! Replies can carry latency (on the model's clock), usage, logprobs, reasoning, truncation or an
//! error, which is what strategy tests need to exercise arrival order, budgets and failures. The
//! model counts the calls it received, completed, and saw cancelled (dropped while in flight).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{Stream, StreamExt, stream};

use crate::clock::Clock;
use crate::compat::{MaybeSend, MaybeSync};
use crate::model::{
    Capabilities, Channel, Chunk, Completion, FinishReason, Model, ModelError, Request, Response,
    TokenLogprob, Usage,
};

/// One scripted completion (or failure).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The text.
    pub text: String,
    /// Reasoning text.
    pub reasoning: Option<String>,
    /// Why it ended.
    pub finish: FinishReason,
    /// Usage; default: prompt words (on the first choice) and text words. Output beyond the
    /// request's `max_tokens` is cut, and the reply is then marked truncated.
    pub usage: Option<Usage>,
    /// Per-token logprobs (one per word).
    pub logprobs: Option<Vec<f64>>,
    /// How long the call takes on the model's clock.
    pub latency: Duration,
    /// Fail the whole request with this error instead.
    pub error: Option<ModelError>,
}

impl Reply {
    /// A reply with this text and nothing else.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            reasoning: None,
            finish: FinishReason::Stop,
            usage: None,
            logprobs: None,
            latency: Duration::ZERO,
            error: None,
        }
    }
    /// A failing reply.
    pub fn error(error: ModelError) -> Self {
        Self { error: Some(error), ..Self::text("") }
    }
    /// Sets the latency.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }
    /// Sets the usage.
    pub fn usage(mut self, usage: Usage) -> Self {
        self.usage = Some(usage);
        self
    }
    /// Sets the logprobs.
    pub fn logprobs(mut self, logprobs: Vec<f64>) -> Self {
        self.logprobs = Some(logprobs);
        self
    }
    /// Sets the reasoning text.
    pub fn reasoning(mut self, reasoning: impl Into<String>) -> Self {
        self.reasoning = Some(reasoning.into());
        self
    }
    /// Marks the reply as cut off by the token limit.
    pub fn truncated(mut self) -> Self {
        self.finish = FinishReason::Length;
        self
    }
}

impl From<&str> for Reply {
    fn from(text: &str) -> Self {
        Self::text(text)
    }
}

/// What a scripted function sees for each choice it must answer.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// How many choices the model answered before this one (across all requests).
    pub index: usize,
    /// The request.
    pub request: &'a Request,
    /// The choice within the request.
    pub choice: u32,
}

type ScriptFn = dyn Fn(Call<'_>) -> Reply + Send + Sync;

/// A scripted [`Model`].
pub struct ScriptedModel {
    script: Box<ScriptFn>,
    capabilities: Capabilities,
    id: String,
    clock: Option<Arc<dyn Clock>>,
    stats: Arc<Stats>,
}

impl std::fmt::Debug for ScriptedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedModel").field("id", &self.id).field("stats", &self.stats).finish()
    }
}

#[derive(Debug, Default)]
struct Stats {
    choices: AtomicUsize,
    calls: AtomicUsize,
    completed: AtomicUsize,
    cancelled: AtomicUsize,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
    requests: Mutex<Vec<Request>>,
}

impl ScriptedModel {
    /// Answers with `replies` in turn, starting over after the last.
    pub fn cycling<R: Into<Reply>>(replies: impl IntoIterator<Item = R>) -> Self {
        let replies: Vec<Reply> = replies.into_iter().map(Into::into).collect();
        Self::from_fn(move |call| {
            let len = replies.len().max(1);
            replies.get(call.index % len).cloned().unwrap_or_else(|| Reply::text(""))
        })
    }

    /// Answers each choice with `script(call)`.
    pub fn from_fn(script: impl Fn(Call<'_>) -> Reply + Send + Sync + 'static) -> Self {
        Self {
            script: Box::new(script),
            capabilities: Capabilities { streaming: true, ..Capabilities::default() },
            id: "scripted".to_owned(),
            clock: None,
            stats: Arc::default(),
        }
    }

    /// Sets the capabilities it reports (default: streaming, one choice per request).
    pub fn with_capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = capabilities;
        self
    }
    /// Sets its id (used for price lookup).
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }
    /// Sets the clock its latencies run on (required for latency to have any effect).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Requests received.
    pub fn calls(&self) -> usize {
        self.stats.calls.load(Ordering::SeqCst)
    }
    /// Requests that ran to the end of their latency.
    pub fn completed(&self) -> usize {
        self.stats.completed.load(Ordering::SeqCst)
    }
    /// Requests dropped while still in flight.
    pub fn cancelled(&self) -> usize {
        self.stats.cancelled.load(Ordering::SeqCst)
    }
    /// The most requests that were in flight at the same time.
    pub fn peak_in_flight(&self) -> usize {
        self.stats.peak_in_flight.load(Ordering::SeqCst)
    }
    /// Every request received, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.stats.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Scripts the replies for one request and builds its outcome.
    fn answer(&self, request: &Request) -> (Vec<Duration>, Result<Response, ModelError>) {
        self.stats.calls.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut log) = self.stats.requests.lock() {
            log.push(request.clone());
        }
        let replies: Vec<Reply> = (0..request.n.max(1))
            .map(|choice| {
                let index = self.stats.choices.fetch_add(1, Ordering::SeqCst);
                (self.script)(Call { index, request, choice })
            })
            .collect();
        let latencies: Vec<Duration> = replies.iter().map(|r| r.latency).collect();
        if let Some(error) = replies.iter().find_map(|r| r.error.clone()) {
            let latency = latencies.iter().max().copied().unwrap_or_default();
            return (vec![latency], Err(error));
        }
        let prompt_words: u64 = request.messages.iter().map(|m| words(&m.content)).sum();
        let completions = replies
            .into_iter()
            .enumerate()
            .map(|(i, reply)| {
                let mut usage = reply.usage.unwrap_or(Usage {
                    prompt_tokens: if i == 0 { prompt_words } else { 0 },
                    completion_tokens: words(&reply.text),
                    reasoning_tokens: reply.reasoning.as_deref().map_or(0, words),
                });
                let mut finish_reason = reply.finish;
                // Like a real server, never generate more than `max_tokens` (reasoning included).
                if let Some(max) = request.max_tokens.map(u64::from)
                    && usage.completion_tokens + usage.reasoning_tokens > max
                {
                    usage.reasoning_tokens = usage.reasoning_tokens.min(max);
                    usage.completion_tokens = max - usage.reasoning_tokens;
                    finish_reason = FinishReason::Length;
                }
                Completion {
                    usage,
                    logprobs: reply.logprobs.map(|l| {
                        l.into_iter()
                            .map(|logprob| TokenLogprob { token: String::new(), logprob })
                            .collect()
                    }),
                    finish_reason,
                    reasoning: reply.reasoning,
                    text: reply.text,
                }
            })
            .collect();
        (latencies, Ok(Response { completions }))
    }

    fn wait(&self, latency: Duration) -> Option<crate::compat::BoxFuture<'static, ()>> {
        self.clock.as_ref().filter(|_| !latency.is_zero()).map(|c| c.sleep(latency))
    }
}

fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// Tracks one request in flight; counts it as cancelled if dropped before its latency passed.
struct InFlight {
    stats: Arc<Stats>,
    done: bool,
}

impl InFlight {
    fn start(stats: Arc<Stats>) -> Self {
        let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        stats.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        Self { stats, done: false }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.stats.in_flight.fetch_sub(1, Ordering::SeqCst);
        let counter = if self.done { &self.stats.completed } else { &self.stats.cancelled };
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

/// The deltas of one completion: its reasoning's words, then its text's.
fn deltas(choice: usize, completion: &Completion) -> Vec<Result<Chunk, ModelError>> {
    let choice = u32::try_from(choice).unwrap_or(u32::MAX);
    let mut out = Vec::new();
    for (channel, text) in [
        (Channel::Reasoning, completion.reasoning.as_deref().unwrap_or("")),
        (Channel::Text, &completion.text),
    ] {
        out.extend(
            text.split_inclusive(' ')
                .map(|piece| Ok(Chunk::Delta { choice, channel, text: piece.to_owned() })),
        );
    }
    out
}

/// A streamed response as a timeline: each choice's words as deltas at its own latency, then
/// (for a request of several choices) that choice as [`Chunk::Finished`], and the whole response
/// at the end — as a server that streams `n` choices does.
fn timeline(
    latencies: &[Duration],
    result: Result<Response, ModelError>,
    streaming: bool,
) -> Vec<(Duration, Vec<Result<Chunk, ModelError>>)> {
    let last = latencies.iter().max().copied().unwrap_or_default();
    let response = match result {
        Ok(response) => response,
        Err(error) => return vec![(last, vec![Err(error)])],
    };
    let mut steps: Vec<(Duration, Vec<Result<Chunk, ModelError>>)> = Vec::new();
    if streaming {
        let several = response.completions.len() > 1;
        for (choice, completion) in response.completions.iter().enumerate() {
            let mut items = deltas(choice, completion);
            if several {
                let choice = u32::try_from(choice).unwrap_or(u32::MAX);
                items.push(Ok(Chunk::Finished { choice, completion: completion.clone() }));
            }
            steps.push((latencies.get(choice).copied().unwrap_or(last), items));
        }
        // Choices that take longer finish later; equal latencies keep choice order.
        steps.sort_by_key(|(latency, _)| *latency);
    }
    steps.push((last, vec![Ok(Chunk::Done(response))]));
    steps
}

impl Model for ScriptedModel {
    async fn complete(&self, request: Request) -> Result<Response, ModelError> {
        let (latencies, result) = self.answer(&request);
        let mut guard = InFlight::start(self.stats.clone());
        if let Some(wait) = self.wait(latencies.iter().max().copied().unwrap_or_default()) {
            wait.await;
        }
        guard.done = true;
        result
    }

    fn stream(
        &self,
        request: Request,
    ) -> impl Stream<Item = Result<Chunk, ModelError>> + MaybeSend {
        let (latencies, result) = self.answer(&request);
        let steps = timeline(&latencies, result, self.capabilities.streaming);
        let clock = self.clock.clone();
        // In flight from the first poll until the last item is out (dropped early: cancelled).
        let stats = self.stats.clone();
        let guard: Arc<Mutex<Option<InFlight>>> = Arc::default();
        let count = steps.len();
        let mut elapsed = Duration::ZERO;
        stream::iter(steps.into_iter().enumerate())
            .then(move |(index, (at, items))| {
                let wait = at.saturating_sub(elapsed);
                elapsed = elapsed.max(at);
                let sleep = clock.as_ref().filter(|_| !wait.is_zero()).map(|c| c.sleep(wait));
                let (guard, stats) = (Arc::clone(&guard), Arc::clone(&stats));
                async move {
                    if index == 0
                        && let Ok(mut guard) = guard.lock()
                    {
                        *guard = Some(InFlight::start(stats));
                    }
                    if let Some(sleep) = sleep {
                        sleep.await;
                    }
                    if index + 1 == count
                        && let Ok(mut guard) = guard.lock()
                        && let Some(mut finished) = guard.take()
                    {
                        finished.done = true;
                    }
                    stream::iter(items)
                }
            })
            .flatten()
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    fn id(&self) -> &str {
        &self.id
    }
}

// The scripted model must be usable wherever a real model is.
const _: fn() = || {
    fn assert_model<M: Model + MaybeSend + MaybeSync>() {}
    assert_model::<ScriptedModel>();
};
