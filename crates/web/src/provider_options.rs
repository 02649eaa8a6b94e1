//! The provider options that are JavaScript's own: a provider implemented by a JS function
//! (`{ kind: "custom", generate }`), what that function is called with and reports, and the
//! built-in in-page model (`{ kind: "builtin" }`). The HTTP providers' options are the providers
//! crate's `ProviderSpec`. Rust types, so the npm package's TypeScript declarations are derived
//! from them (the `typescript` feature) rather than written by hand; fields that hold JS functions
//! are read from the JS object directly and only typed here.

use serde::Deserialize;
use thinkscale_engine::model::{Channel, Completion};

/// A provider implemented in JavaScript: `{ kind: "custom", generate }`. WebLLM, transformers.js
/// or an in-house model plug in here.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomProvider {
    /// Always `"custom"`.
    #[cfg_attr(feature = "typescript", ts(type = "\"custom\""))]
    pub kind: String,
    /// Makes the completions of one request. Call `onDelta` with text as it streams (optional);
    /// resolve to a `ModelResponse` with `request.n` completions, or to a string when `n` is 1.
    /// Stop when `signal` aborts. Throw an error with a `status` (HTTP) or a `kind` to say why it
    /// failed; rate limits and server errors are retried by the engine's callers, not here.
    #[serde(default, skip_deserializing)]
    #[cfg_attr(
        feature = "typescript",
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
#[cfg(feature = "typescript")]
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
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FinishedChoice {
    /// Which completion of the request.
    pub choice: u32,
    /// The completion.
    pub completion: Completion,
}

/// A piece of streamed text from a custom provider.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(optional_fields))]
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
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BuiltinProvider {
    /// Always `"builtin"`.
    #[cfg_attr(feature = "typescript", ts(type = "\"builtin\""))]
    pub kind: String,
    /// The URL of a GGUF file (llama or qwen2 architecture; Q8_0 runs fastest).
    pub model: String,
    /// The context length in tokens (default 2048).
    #[serde(default)]
    pub context: Option<u32>,
    /// Download progress of the weights.
    #[serde(default, skip_deserializing)]
    #[cfg_attr(
        feature = "typescript",
        ts(type = "(progress: { loaded: number; total: number | null }) => void", optional)
    )]
    pub on_progress: Option<()>,
}
