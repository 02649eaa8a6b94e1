//! The built-in model: a real small language model that runs in the page (and natively), with no
//! key and nothing to install.
//!
//! It runs quantized GGUF llama-family models — SmolLM2-135M-Instruct by default, Qwen2.5 0.5B as
//! the stronger option — on candle's CPU kernels (SIMD128 in the browser). Its distinguishing
//! feature is batched sampling: the N samples of one request prefill the prompt once and decode
//! together, sharing the prompt's key/value cache, which is what makes self-consistency cheap on
//! a local model.
//!
//! Layers: [`weights`] reads the file (checking its header before trusting any count in it),
//! [`tokenizer`] and [`template`] turn a conversation into tokens, the private transformer and
//! cache run the network, [`Generation`] drives one request step by step (handing each sample
//! over as it ends), [`BuiltinModel`] (native) makes it an engine
//! [`Model`](thinkscale_engine::Model), and `worker` (wasm32) exposes it to a browser Web Worker.

#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

mod error;
mod generation;
mod kv_cache;
#[cfg(not(target_arch = "wasm32"))]
mod native;
pub mod requantize;
mod sampler;
pub mod template;
#[cfg(test)]
mod testutil;
mod text_stream;
pub mod tokenizer;
mod transformer;
pub mod weights;
#[cfg(target_arch = "wasm32")]
mod worker;

pub use error::Error;
pub use generation::{DEFAULT_CACHE_BUDGET, DEFAULT_MAX_TOKENS, Generation, Loaded, MAX_BATCH};
#[cfg(not(target_arch = "wasm32"))]
pub use native::BuiltinModel;
pub use weights::Weights;
#[cfg(target_arch = "wasm32")]
pub use worker::{WorkerGeneration, WorkerModel};

/// A seed for requests that set none.
pub(crate) fn entropy() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0x243F_6A88_85A3_08D3);
    let count = COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    #[cfg(target_arch = "wasm32")]
    let noise = (js_sys::Math::random() * (u64::MAX as f64)) as u64;
    #[cfg(not(target_arch = "wasm32"))]
    let noise = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos() as u64);
    count ^ noise
}
