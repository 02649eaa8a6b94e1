//! The built-in model's error type: every failure to load a file or run a request, in words.

use thinkscale_engine::model::{ModelError, ModelErrorKind};

/// Why loading or running the built-in model failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file is not a readable GGUF model, or lacks a key or tensor (named in the message).
    #[error("not a usable GGUF model file: {0}")]
    Gguf(String),
    /// The file is a model this crate cannot run (architecture, tokenizer or template).
    #[error("this model is not supported: {0}")]
    UnsupportedModel(String),
    /// The file's vocabulary is inconsistent.
    #[error("the model's tokenizer is broken: {0}")]
    Tokenizer(String),
    /// The request asked for something impossible (named in the message).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The model produced non-numbers (corrupt weights).
    #[error("the model produced invalid numbers: {0}")]
    Numeric(String),
    /// A tensor operation failed.
    #[error("tensor computation failed: {0}")]
    Tensor(#[from] candle_core::Error),
    /// Reading the file failed.
    #[error("could not read the model file: {0}")]
    Io(#[from] std::io::Error),
}

impl From<Error> for ModelError {
    fn from(error: Error) -> Self {
        let kind = match error {
            Error::InvalidRequest(_) => ModelErrorKind::InvalidRequest,
            _ => ModelErrorKind::Other,
        };
        ModelError::new(kind, error.to_string())
    }
}
