//! The built-in model's face inside a browser Web Worker (wasm32 only).
//!
//! The Worker script (`web/builtin/worker.js`) owns the event loop: it loads the weights, starts
//! a [`WorkerGeneration`] per request and calls [`WorkerGeneration::step`] once per token,
//! yielding to its message queue in between so that a cancel message stops generation within
//! one token. Everything crossing the boundary is plain JSON-shaped data (the engine's own
//! `Request`, `Chunk` and `Response`), and no function here can panic: errors become JS `Error`s.

use std::io::Cursor;

use serde::Serialize;
use thinkscale_engine::model::{Chunk, Completion, Request};
use wasm_bindgen::prelude::*;

use crate::generation::{Generation, Loaded};
use crate::weights::Weights;

/// What a step hands to the Worker script: `{delta: {choice, text}}` per text delta and
/// `{finished: {choice, completion}}` per sample that ended (the completion as in the final
/// response), in the order they happened.
#[derive(Serialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
enum WorkerChunk {
    Delta { choice: u32, text: String },
    Finished { choice: u32, completion: Completion },
}

fn worker_chunks(chunks: Vec<Chunk>) -> Vec<WorkerChunk> {
    chunks
        .into_iter()
        .filter_map(|chunk| match chunk {
            Chunk::Delta { choice, text, .. } => Some(WorkerChunk::Delta { choice, text }),
            Chunk::Finished { choice, completion } => {
                Some(WorkerChunk::Finished { choice, completion })
            }
            _ => None,
        })
        .collect()
}

/// Serializes to plain JS objects (maps as objects, as JSON would).
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value.serialize(&serializer).map_err(|e| JsError::new(&e.to_string()))
}

fn js_error(error: crate::Error) -> JsError {
    JsError::new(&error.to_string())
}

/// A model loaded in the Worker.
#[wasm_bindgen]
pub struct WorkerModel {
    loaded: Loaded,
}

#[wasm_bindgen]
impl WorkerModel {
    /// Loads a GGUF file from its bytes, allowing contexts of up to `context` positions.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8], context: usize) -> Result<WorkerModel, JsError> {
        let weights = Weights::read(&mut Cursor::new(bytes)).map_err(js_error)?;
        Ok(Self { loaded: Loaded::new(weights, context).map_err(js_error)? })
    }

    /// A description for the page: architecture, sizes and the default system message.
    pub fn describe(&self) -> Result<JsValue, JsError> {
        let weights = self.loaded.weights();
        let config = &weights.config;
        to_js(&serde_json::json!({
            "architecture": format!("{:?}", config.architecture).to_lowercase(),
            "layers": config.layers,
            "embedding": config.embedding,
            "vocabulary": weights.tokenizer.vocab_size(),
            "context": config.context,
            "defaultSystem": weights.template.default_system(),
        }))
    }

    /// Starts a request (the engine's `Request`, as a JS object) and prefills its prompt. With
    /// `exact`, every sample runs to `maxTokens` whatever it generates (for benchmarks).
    pub fn start(&self, request: JsValue, exact: bool) -> Result<WorkerGeneration, JsError> {
        let request: Request = serde_wasm_bindgen::from_value(request)
            .map_err(|e| JsError::new(&format!("invalid request: {e}")))?;
        let started =
            if exact { self.loaded.start_exact(&request) } else { self.loaded.start(&request) };
        let mut generation = started.map_err(js_error)?;
        let first = generation.first_chunks();
        Ok(WorkerGeneration { generation: Some(generation), first: Some(first) })
    }
}

/// One request being generated in the Worker.
#[wasm_bindgen]
pub struct WorkerGeneration {
    generation: Option<Generation>,
    first: Option<Vec<Chunk>>,
}

#[wasm_bindgen]
impl WorkerGeneration {
    /// Whether every sample has finished.
    pub fn done(&self) -> bool {
        self.generation.as_ref().is_none_or(Generation::is_done)
    }

    /// The next chunks (text deltas, then the samples that finished): the prefill's first, then
    /// one token per sample per call.
    pub fn step(&mut self) -> Result<JsValue, JsError> {
        if let Some(first) = self.first.take() {
            return to_js(&worker_chunks(first));
        }
        let generation = self
            .generation
            .as_mut()
            .ok_or_else(|| JsError::new("this generation has already finished"))?;
        to_js(&worker_chunks(generation.step().map_err(js_error)?))
    }

    /// The final response (the engine's `Response`); the generation cannot be stepped after.
    pub fn finish(&mut self) -> Result<JsValue, JsError> {
        let generation = self
            .generation
            .take()
            .ok_or_else(|| JsError::new("this generation has already finished"))?;
        to_js(&generation.finish())
    }
}
