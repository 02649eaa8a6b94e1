//! How a model call fails: a kind that strategies and UIs can branch on, plus the provider's own
//! status and message.

use serde::{Deserialize, Serialize};

/// The kind of a model failure. Stable: JS maps these to error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum ModelErrorKind {
    /// Too many requests (HTTP 429); retry later.
    RateLimited,
    /// The key was missing, wrong or not allowed (HTTP 401/403).
    Auth,
    /// The provider rejected this request (HTTP 400, 413, 422, …): too long for the context, a
    /// setting it refuses. Other requests of the run may still succeed.
    InvalidRequest,
    /// The model or endpoint does not exist (HTTP 404): every request would fail the same way.
    NotFound,
    /// The provider failed (HTTP 5xx).
    Server,
    /// The connection failed or was reset.
    Network,
    /// No answer in time.
    Timeout,
    /// The response did not follow the protocol (bad JSON, truncated stream, missing choices).
    Protocol,
    /// The caller cancelled the request.
    Cancelled,
    /// Anything else.
    Other,
}

impl ModelErrorKind {
    /// Whether every further request would fail the same way, so a run should stop issuing them:
    /// a rejected key or an unknown model. Any other failure fails only its own node — one
    /// over-long prompt deep in a search must not stop its siblings.
    pub fn is_fatal(self) -> bool {
        matches!(self, Self::Auth | Self::NotFound)
    }

    /// The kind of failure an HTTP error status means: 401/403 auth, 404 not found, 408
    /// timeout, 429 rate limited, 409 and 5xx server (worth retrying), other 4xx an invalid
    /// request.
    pub fn from_status(status: u16) -> Self {
        match status {
            401 | 403 => Self::Auth,
            404 => Self::NotFound,
            408 => Self::Timeout,
            429 => Self::RateLimited,
            409 | 500..=599 => Self::Server,
            400..=499 => Self::InvalidRequest,
            _ => Self::Other,
        }
    }

    /// A short lowercase name, as used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RateLimited => "rate limited",
            Self::Auth => "authentication failed",
            Self::InvalidRequest => "invalid request",
            Self::NotFound => "model or endpoint not found",
            Self::Server => "server error",
            Self::Network => "network error",
            Self::Timeout => "timed out",
            Self::Protocol => "protocol error",
            Self::Cancelled => "cancelled",
            Self::Other => "error",
        }
    }
}

/// A failed model call. Serializable, because failures are part of a run's trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase")]
#[error("{}{}: {message}", kind.as_str(), status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
pub struct ModelError {
    /// What kind of failure.
    pub kind: ModelErrorKind,
    /// The provider's message (never containing credentials).
    pub message: String,
    /// The HTTP status, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// How long the provider asked us to wait before retrying, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

/// The longest message an error keeps, in characters: servers' messages are copied into
/// errors, events and UIs, and a hostile or broken server's can be megabytes long.
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// `message` cut to [`MAX_MESSAGE_CHARS`], with `…` where it was cut.
fn bounded(mut message: String) -> String {
    if let Some((at, _)) = message.char_indices().nth(MAX_MESSAGE_CHARS) {
        message.truncate(at);
        message.push('…');
    }
    message
}

impl ModelError {
    /// An error of the given kind with a message (cut to [`MAX_MESSAGE_CHARS`]) and no HTTP
    /// details.
    pub fn new(kind: ModelErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: bounded(message.into()), status: None, retry_after_ms: None }
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_kind_and_status() {
        let error = ModelError::new(ModelErrorKind::RateLimited, "slow down").with_status(429);
        assert_eq!(error.to_string(), "rate limited (HTTP 429): slow down");
    }

    #[test]
    fn long_messages_are_cut_on_a_character_boundary() {
        let error = ModelError::new(ModelErrorKind::Server, "é".repeat(5 * MAX_MESSAGE_CHARS));
        assert_eq!(error.message.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(error.message.ends_with('…'));
    }

    #[test]
    fn only_a_rejected_key_or_an_unknown_model_is_fatal() {
        assert_eq!(ModelErrorKind::from_status(404), ModelErrorKind::NotFound);
        assert!(ModelErrorKind::from_status(401).is_fatal());
        assert!(ModelErrorKind::from_status(404).is_fatal());
        for status in [400, 413, 422, 429, 500] {
            assert!(!ModelErrorKind::from_status(status).is_fatal(), "{status}");
        }
    }
}
