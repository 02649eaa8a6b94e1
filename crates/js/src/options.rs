//! The shapes JavaScript passes in and gets back: engine and run options, the custom-provider
//! contract, and the run's result. They are Rust types so that the package's TypeScript
//! declarations are derived from them (`typegen`) rather than written by hand; fields that hold JS
//! functions or an `AbortSignal` are read from the JS object directly and only typed here.

use serde::{Deserialize, Serialize};
use thinkscale_engine::model::Channel;
use thinkscale_engine::state::Node;
use thinkscale_engine::{
    Answer, Budget, Extractor, Outcome, Pricing, Spend, StopReason, StrategyConfig, Tally, Trace,
};

/// `new Engine(options)`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "typegen", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase")]
pub struct EngineOptions {
    /// Which model to run: an HTTP provider, the built-in in-page model, or your own function.
    #[serde(default, skip_deserializing)]
    #[cfg_attr(feature = "typegen", ts(type = "ProviderOptions", optional = false))]
    pub provider: Option<()>,
    /// Limits for every run (a run's own `budget` replaces it). Default: unlimited.
    #[serde(default)]
    pub budget: Option<Budget>,
    /// The model's price per million tokens, for dollar spend and `maxCostUsd` (common models
    /// are priced already).
    #[serde(default)]
    pub pricing: Option<Pricing>,
}

/// `engine.run(question, options)` and `engine.stream(question, options)`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "typegen", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase")]
pub struct RunOptions {
    /// The strategy and its parameters, e.g. `{ kind: "selfConsistency", samples: 8 }`; fields left
    /// out take their defaults. Default: `{ kind: "chainOfThought" }`.
    #[serde(default)]
    #[cfg_attr(feature = "typegen", ts(as = "Option<StrategyInputType>"))]
    pub strategy: Option<StrategyConfig>,
    /// Limits for this run (replaces the engine's).
    #[serde(default)]
    pub budget: Option<Budget>,
    /// How the final answer is found in a completion. Default `{ kind: "auto" }`.
    #[serde(default)]
    pub extractor: Option<Extractor>,
    /// A system prompt.
    #[serde(default)]
    pub system: Option<String>,
    /// Replaces the extractor's own instruction on how to state the answer.
    #[serde(default)]
    pub instruction: Option<String>,
    /// Aborts the run: in-flight requests are cancelled and the promise rejects with an
    /// `AbortError` that carries the partial result.
    #[serde(default, skip_deserializing)]
    #[cfg_attr(feature = "typegen", ts(type = "AbortSignal", optional))]
    pub signal: Option<()>,
    /// Called with every event, in order, as it happens.
    #[serde(default, skip_deserializing)]
    #[cfg_attr(feature = "typegen", ts(type = "(event: RunEvent) => void", optional))]
    pub on_event: Option<()>,
}

/// The TypeScript type of `RunOptions.strategy`: any strategy config with its `kind` and any
/// subset of its other fields, at any depth. Only a type: `typegen` writes its declaration.
#[cfg(feature = "typegen")]
#[derive(ts_rs::TS)]
#[ts(
    rename = "StrategyInput",
    type = "{ [K in StrategyConfig[\"kind\"]]: { kind: K } & DeepPartial<Omit<Extract<StrategyConfig, { kind: K }>, \"kind\">> }[StrategyConfig[\"kind\"]]"
)]
pub struct StrategyInputType;

/// The TypeScript type of `EngineOptions.provider`. Only a type: `typegen` writes its declaration.
#[cfg(feature = "typegen")]
#[derive(ts_rs::TS)]
#[ts(rename = "ProviderOptions", type = "ProviderSpec | BuiltinProvider | CustomProvider")]
pub struct ProviderOptionsType;

/// A provider implemented in JavaScript: `{ kind: "custom", generate }`. WebLLM, transformers.js
/// or an in-house model plug in here.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "typegen", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomProvider {
    /// Always `"custom"`.
    #[cfg_attr(feature = "typegen", ts(type = "\"custom\""))]
    pub kind: String,
    /// Makes the completions of one request. Call `onDelta` with text as it streams (optional);
    /// resolve to a `ModelResponse` with `request.n` completions, or to a string when `n` is 1.
    /// Stop when `signal` aborts. Throw an error with a `status` (HTTP) or a `kind` to say why it
    /// failed; rate limits and server errors are retried by the engine's callers, not here.
    #[serde(default, skip_deserializing)]
    #[cfg_attr(
        feature = "typegen",
        ts(
            type = "(request: ModelRequest, context: GenerateContext) => Promise<ModelResponse | string>",
            optional = false
        )
    )]
    pub generate: Option<()>,
    /// The model's name, used in traces and to look up its price. Default `"custom"`.
    #[serde(default)]
    pub id: Option<String>,
    /// Most completions one call may return (`request.n`). Default 1.
    #[serde(default)]
    pub max_n: Option<u32>,
    /// Whether responses carry token logprobs (for logprob-weighted voting).
    #[serde(default)]
    pub logprobs: Option<bool>,
    /// Whether the model reasons (accepts `request.reasoning`, streams reasoning text).
    #[serde(default)]
    pub reasoning: Option<bool>,
}

/// What `generate` receives besides the request.
#[cfg(feature = "typegen")]
#[derive(ts_rs::TS)]
pub struct GenerateContext {
    /// Aborted when the engine no longer needs this call.
    #[ts(type = "AbortSignal")]
    pub signal: (),
    /// Reports streamed text.
    #[ts(rename = "onDelta", type = "(delta: Delta) => void")]
    pub on_delta: (),
    /// Reports that one choice is complete before the whole request is: its branch finishes at
    /// once, so a stop or a budget keeps it. The response `generate` resolves to still lists it.
    #[ts(rename = "onFinish", type = "(finished: FinishedChoice) => void")]
    pub on_finish: (),
}

/// One choice of a custom provider's request, complete (see `onFinish`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "typegen", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FinishedChoice {
    /// Which completion of the request.
    pub choice: u32,
    /// The completion.
    pub completion: thinkscale_engine::model::Completion,
}

/// A piece of streamed text from a custom provider.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "typegen", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase")]
pub struct Delta {
    /// Which completion of the request (default 0).
    #[serde(default)]
    pub choice: Option<u32>,
    /// The new text.
    pub text: String,
    /// Visible text (default) or reasoning.
    #[serde(default)]
    pub channel: Option<Channel>,
}

/// The in-page model: `{ kind: "builtin", model: "https://…/SmolLM2-135M-Instruct.Q8_0.gguf" }`.
/// Browser only — it runs in a Web Worker.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "typegen", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BuiltinProvider {
    /// Always `"builtin"`.
    #[cfg_attr(feature = "typegen", ts(type = "\"builtin\""))]
    pub kind: String,
    /// The URL of a GGUF file (llama or qwen2 architecture; Q8_0 runs fastest).
    pub model: String,
    /// The context length in tokens (default 2048).
    #[serde(default)]
    pub context: Option<u32>,
    /// Download progress of the weights.
    #[serde(default, skip_deserializing)]
    #[cfg_attr(
        feature = "typegen",
        ts(type = "(progress: { loaded: number; total: number | null }) => void", optional)
    )]
    pub on_progress: Option<()>,
}

/// The result of `engine.run`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typegen", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RunResult {
    /// The final answer, if any branch gave one.
    pub answer: Option<Answer>,
    /// The full text of the branch the answer came from.
    pub text: Option<String>,
    /// The final vote, best first (empty for single-branch strategies).
    pub votes: Vec<Tally>,
    /// Every branch (model call) of the run, in the order they started.
    pub branches: Vec<Node>,
    /// Everything spent: samples, tokens, dollars, milliseconds.
    pub spend: Spend,
    /// Why the run stopped.
    pub stop: StopReason,
    /// The run's events, to export, store and replay. Never contains an API key.
    pub trace: Trace,
}

impl RunResult {
    /// The result of a run from its outcome, its final state's branches and its trace.
    pub fn new(outcome: Outcome, branches: Vec<Node>, trace: Trace) -> Self {
        Self {
            answer: outcome.answer,
            text: outcome.text,
            votes: outcome.votes,
            branches,
            spend: outcome.spend,
            stop: outcome.stop,
            trace,
        }
    }
}
