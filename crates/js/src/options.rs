//! The shapes JavaScript passes in and gets back: engine and run options, the run's result and
//! the details of a thrown error (the provider options JavaScript implements are
//! `thinkscale_web::provider_options`). They are Rust types so that the package's TypeScript
//! declarations are derived from them (`typegen`) rather than written by hand; fields that hold JS
//! functions or an `AbortSignal` are read from the JS object directly and only typed here.

use serde::{Deserialize, Serialize};
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
    /// How alike two replies' statements are, in [0, 1], when samples are clustered (free-form
    /// answers): replaces text similarity, for clusters by meaning. Called synchronously; a
    /// throw, a Promise or a value outside [0, 1] stops the run with a `CallbackError` (what
    /// finished is kept in `error.result`).
    #[serde(default, skip_deserializing)]
    #[cfg_attr(feature = "typegen", ts(type = "(a: string, b: string) => number", optional))]
    pub similarity: Option<()>,
    /// A vector for a reply's statement (an embedding): replies are clustered by the cosine of
    /// theirs, each text embedded once per run. Synchronous, like `similarity` (give one of
    /// the two).
    #[serde(default, skip_deserializing)]
    #[cfg_attr(feature = "typegen", ts(type = "(text: string) => ArrayLike<number>", optional))]
    pub embed: Option<()>,
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

/// The properties a thrown error carries besides `name` and `message`. Only a type: `typegen`
/// declares `ThinkscaleError` as `Error & ErrorDetails`.
#[cfg(feature = "typegen")]
#[derive(ts_rs::TS)]
#[ts(optional_fields)]
pub struct ErrorDetails {
    /// What kind of failure.
    pub code: thinkscale_web::ErrorCode,
    /// The option at fault (`invalid_config`).
    pub field: Option<String>,
    /// The provider's HTTP status.
    pub status: Option<u16>,
    /// The provider's own message.
    #[ts(rename = "providerMessage")]
    pub provider_message: Option<String>,
    /// What the run did before it failed (runs that ended without an answer, or aborted).
    pub result: Option<RunResult>,
}
