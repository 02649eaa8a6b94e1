//! The built-in model as an engine [`Model`], natively: each request decodes on a thread of its
//! own and streams its chunks back through a channel: each sample's deltas, a
//! [`Chunk::Finished`] the moment it ends, and the whole response at the end.
//!
//! Dropping the stream (the engine cancelling a branch) closes the channel, and the thread stops
//! before its next token. Concurrent requests take turns one decode step at a time, so a
//! long answer never starves a short one.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures::channel::mpsc;
use futures::{Stream, StreamExt};
use thinkscale_engine::model::{Capabilities, Chunk, Model, ModelError, ModelErrorKind, Request};

use crate::generation::{Generation, Loaded, MAX_BATCH};
use crate::{Error, Weights};

/// Positions of context the native model allows by default.
const DEFAULT_CONTEXT: usize = 4096;

/// A GGUF model run in-process.
#[derive(Debug, Clone)]
pub struct BuiltinModel {
    loaded: Loaded,
    id: String,
    turn: Arc<Mutex<()>>,
    in_flight: Arc<AtomicUsize>,
}

/// Counts a request as in flight until dropped (when its thread ends, however it ends).
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn new(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(counter))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl BuiltinModel {
    /// Loads a GGUF file from disk.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| {
            Error::Io(std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
        })?;
        let weights = Weights::read(&mut BufReader::new(file))?;
        let id =
            path.file_stem().map_or_else(|| "builtin".into(), |s| s.to_string_lossy().into_owned());
        Self::new(weights, id)
    }

    /// Wraps loaded weights; `id` names the model in traces (and prices it: free by default).
    pub fn new(weights: Weights, id: impl Into<String>) -> Result<Self, Error> {
        Ok(Self {
            loaded: Loaded::new(weights, DEFAULT_CONTEXT)?,
            id: id.into(),
            turn: Arc::default(),
            in_flight: Arc::default(),
        })
    }

    /// Sets the most bytes one request's key/value cache may take (default
    /// [`DEFAULT_CACHE_BUDGET`](crate::DEFAULT_CACHE_BUDGET)): a request needing more fails with
    /// an error that says how many samples would fit.
    pub fn with_cache_budget(self, bytes: u64) -> Self {
        Self { loaded: self.loaded.with_cache_budget(bytes), ..self }
    }

    /// Requests still generating. Drops to zero within one token of every stream being dropped.
    pub fn requests_in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// The loaded model (tokenizer, template, configuration).
    pub fn loaded(&self) -> &Loaded {
        &self.loaded
    }

    fn run(&self, request: Request, chunks: mpsc::UnboundedSender<Result<Chunk, ModelError>>) {
        let send = |chunk: Chunk| chunks.unbounded_send(Ok(chunk)).is_ok();
        let step = |generation: &mut Generation| {
            // A poisoned lock only means another request panicked mid-step; the model is read-only.
            let _turn = self.turn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            generation.step()
        };
        let started = {
            let _turn = self.turn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            self.loaded.start(&request)
        };
        let mut generation = match started {
            Ok(generation) => generation,
            Err(error) => {
                let _ = chunks.unbounded_send(Err(error.into()));
                return;
            }
        };
        if !generation.first_chunks().into_iter().all(send) {
            return;
        }
        while !generation.is_done() {
            if chunks.is_closed() {
                return;
            }
            match step(&mut generation) {
                Ok(deltas) => {
                    if !deltas.into_iter().all(send) {
                        return;
                    }
                }
                Err(error) => {
                    let _ = chunks.unbounded_send(Err(error.into()));
                    return;
                }
            }
        }
        send(Chunk::Done(generation.finish()));
    }
}

impl Model for BuiltinModel {
    fn stream(&self, request: Request) -> impl Stream<Item = Result<Chunk, ModelError>> + Send {
        let (sender, receiver) = mpsc::unbounded();
        let model = self.clone();
        let in_flight = InFlight::new(&self.in_flight);
        let spawned =
            std::thread::Builder::new().name("thinkscale-builtin".into()).spawn(move || {
                let _in_flight = in_flight;
                model.run(request, sender);
            });
        let failed = spawned.err().map(|e| {
            ModelError::new(ModelErrorKind::Other, format!("could not start a thread: {e}"))
        });
        futures::stream::iter(failed.map(Err)).chain(receiver)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { max_n: MAX_BATCH, logprobs: true, streaming: true, reasoning: false }
    }

    fn id(&self) -> &str {
        &self.id
    }
}
