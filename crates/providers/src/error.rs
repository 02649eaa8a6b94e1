//! The providers crate's one error type: bad settings and malformed event streams. Failures of a
//! model call itself are the engine's [`ModelError`], which every provider returns.

use thinkscale_engine::model::{ModelError, ModelErrorKind};

/// What can go wrong in this crate outside a model call's own failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A provider setting is unusable (an empty model name, a base URL that is not http(s)).
    #[error("invalid provider setting `{field}`: {reason}")]
    InvalidConfig {
        /// The setting.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A server-sent event line exceeded the parser's limit.
    #[error("a server-sent event line is longer than {limit} bytes")]
    SseLineTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// An event's `data` lines exceeded the parser's limit before the blank line that ends it.
    #[error("a server-sent event is longer than {limit} bytes")]
    SseEventTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The event stream ended in the middle of an event.
    #[error("the event stream ended in the middle of an event")]
    SseIncomplete,
}

impl From<Error> for ModelError {
    fn from(error: Error) -> Self {
        let kind = match error {
            Error::InvalidConfig { .. } => ModelErrorKind::InvalidRequest,
            Error::SseLineTooLong { .. }
            | Error::SseEventTooLarge { .. }
            | Error::SseIncomplete => ModelErrorKind::Protocol,
        };
        ModelError::new(kind, error.to_string())
    }
}
