//! The boundary's one error type, [`Failure`]: what a JS caller gets as a thrown `Error` with a
//! stable `name` and `code`, the field at fault or the provider's status and message. The npm
//! API and the live view both report through it.
//!
//! Failures found before a run (bad options, a bad trace) are thrown at once. A run that ends
//! without an answer because it was aborted, ran out of budget or lost every model call rejects
//! with the matching code and carries the partial result, so nothing the run did is lost.

use serde::Serialize;
use thinkscale_engine::model::{ModelError, ModelErrorKind};
use thinkscale_engine::{Error as EngineError, Limit, StopReason};

/// The kinds of failure, as the `code` of the thrown error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// An option is missing, mistyped or out of range; `field` names it.
    InvalidConfig,
    /// The model cannot do what the strategy asks (e.g. logprob weighting without logprobs).
    Unsupported,
    /// A trace could not be imported.
    InvalidTrace,
    /// The provider rejected the key.
    Auth,
    /// The provider kept rate-limiting after the retries.
    RateLimited,
    /// A budget limit was reached before any answer.
    BudgetExhausted,
    /// The caller aborted the run.
    Aborted,
    /// The server could not be reached or the connection broke.
    Network,
    /// The server did not answer in time.
    Timeout,
    /// The server failed (5xx).
    Server,
    /// The provider rejected the request as malformed.
    InvalidRequest,
    /// The model or endpoint does not exist (HTTP 404).
    NotFound,
    /// The provider's response could not be understood.
    Protocol,
    /// A model call failed otherwise.
    ModelFailed,
    /// A callback of the caller's threw or answered wrongly (`onEvent` threw; `similarity` or
    /// `embed` threw, returned a Promise or a value that is not a similarity): the run stopped,
    /// `result` holds what finished, and `cause` is what `onEvent` threw.
    CallbackFailed,
}

impl ErrorCode {
    /// The `name` of the thrown error (`AbortError` as the platform names it).
    pub fn error_name(self) -> &'static str {
        match self {
            Self::InvalidConfig => "InvalidConfigError",
            Self::Unsupported => "UnsupportedError",
            Self::InvalidTrace => "InvalidTraceError",
            Self::Auth => "AuthenticationError",
            Self::RateLimited => "RateLimitError",
            Self::BudgetExhausted => "BudgetExhaustedError",
            Self::Aborted => "AbortError",
            Self::Network => "NetworkError",
            Self::Timeout => "TimeoutError",
            Self::Server => "ServerError",
            Self::InvalidRequest => "InvalidRequestError",
            Self::NotFound => "NotFoundError",
            Self::Protocol => "ProtocolError",
            Self::ModelFailed => "ModelError",
            Self::CallbackFailed => "CallbackError",
        }
    }

    /// The string of `code`, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidConfig => "invalid_config",
            Self::Unsupported => "unsupported",
            Self::InvalidTrace => "invalid_trace",
            Self::Auth => "auth",
            Self::RateLimited => "rate_limited",
            Self::BudgetExhausted => "budget_exhausted",
            Self::Aborted => "aborted",
            Self::Network => "network",
            Self::Timeout => "timeout",
            Self::Server => "server",
            Self::InvalidRequest => "invalid_request",
            Self::NotFound => "not_found",
            Self::Protocol => "protocol",
            Self::ModelFailed => "model_failed",
            Self::CallbackFailed => "callback_failed",
        }
    }
}

impl From<ModelErrorKind> for ErrorCode {
    fn from(kind: ModelErrorKind) -> Self {
        match kind {
            ModelErrorKind::RateLimited => Self::RateLimited,
            ModelErrorKind::Auth => Self::Auth,
            ModelErrorKind::InvalidRequest => Self::InvalidRequest,
            ModelErrorKind::NotFound => Self::NotFound,
            ModelErrorKind::Server => Self::Server,
            ModelErrorKind::Network => Self::Network,
            ModelErrorKind::Timeout => Self::Timeout,
            ModelErrorKind::Protocol => Self::Protocol,
            ModelErrorKind::Cancelled => Self::Aborted,
            ModelErrorKind::Other => Self::ModelFailed,
        }
    }
}

/// A failure to report to JavaScript.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    /// What kind.
    pub code: ErrorCode,
    /// The whole message, in words.
    pub message: String,
    /// The option at fault, as a JSON path (`provider.baseURL`, `strategy.samples`).
    pub field: Option<String>,
    /// The provider's HTTP status.
    pub status: Option<u16>,
    /// The provider's own message.
    pub provider_message: Option<String>,
}

impl Failure {
    /// A failure without field or provider details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: None, status: None, provider_message: None }
    }

    /// An invalid option, with the field named in the message.
    pub fn config(field: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        let field = field.into();
        Self {
            field: Some(field.clone()),
            ..Self::new(ErrorCode::InvalidConfig, format!("invalid option `{field}`: {reason}"))
        }
    }

    /// The same failure with its field (and the message's mention of it) placed under `parent`,
    /// for engine checks of a value the caller passed as one option (`budget.maxTokens`).
    pub fn in_field(mut self, parent: &str) -> Self {
        if let Some(field) = &self.field
            && !field.starts_with(parent)
        {
            let moved = format!("{parent}.{field}");
            self.message = self.message.replace(&format!("`{field}`"), &format!("`{moved}`"));
            self.field = Some(moved);
        }
        self
    }

    /// The same failure with the engine's field path rewritten to the path of the run options
    /// JavaScript passed: `task.extractor.pattern` is `extractor.pattern`, the strategy's
    /// `selfConsistency.samples` is `strategy.samples`.
    pub fn in_run_options(mut self, strategy: &str) -> Self {
        if let Some(field) = &self.field {
            let moved = if let Some(rest) = field.strip_prefix("task.") {
                rest.to_owned()
            } else if let Some(rest) = field.strip_prefix(&format!("{strategy}.")) {
                format!("strategy.{rest}")
            } else {
                field.clone()
            };
            self.message = self.message.replace(&format!("`{field}`"), &format!("`{moved}`"));
            self.field = Some(moved);
        }
        self
    }

    /// A model call's failure.
    pub fn model(error: &ModelError) -> Self {
        Self {
            status: error.status,
            provider_message: Some(error.message.clone()),
            ..Self::new(error.kind.into(), error.to_string())
        }
    }

    /// Why a finished run rejects instead of resolving, if it does: it was aborted, or it ended
    /// without an answer because of its budget or failing model calls.
    pub fn of_stop(stop: &StopReason, has_answer: bool) -> Option<Self> {
        match stop {
            StopReason::Cancelled => Some(Self::new(ErrorCode::Aborted, "the run was aborted")),
            StopReason::ModelFailed { error } => Some(Self::model(error)),
            StopReason::Budget { limit } if !has_answer => Some(Self::new(
                ErrorCode::BudgetExhausted,
                format!("the {} budget ran out before any answer", limit_name(*limit)),
            )),
            _ => None,
        }
    }
}

fn limit_name(limit: Limit) -> &'static str {
    match limit {
        Limit::Samples => "samples",
        Limit::Tokens => "tokens",
        Limit::Cost => "cost",
        Limit::WallTime => "time",
    }
}

impl From<EngineError> for Failure {
    fn from(error: EngineError) -> Self {
        let message = error.to_string();
        match error {
            EngineError::InvalidConfig { field, .. } => {
                Self { field: Some(field), ..Self::new(ErrorCode::InvalidConfig, message) }
            }
            EngineError::Unsupported { .. } => Self::new(ErrorCode::Unsupported, message),
            _ => Self::new(ErrorCode::InvalidTrace, message),
        }
    }
}

impl From<thinkscale_providers::Error> for Failure {
    fn from(error: thinkscale_providers::Error) -> Self {
        match error {
            thinkscale_providers::Error::InvalidConfig { field, reason } => {
                // The providers crate names its Rust fields; JS callers wrote the options' names.
                let field = match field {
                    "base_url" => "baseURL",
                    "api_key" => "apiKey",
                    "max_n" => "maxN",
                    "default_max_tokens" => "defaultMaxTokens",
                    other => other,
                };
                Self::config(format!("provider.{field}"), reason)
            }
            other => Self::new(ErrorCode::Protocol, other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_reject_only_without_an_answer_or_when_aborted() {
        let budget = StopReason::Budget { limit: Limit::Tokens };
        assert_eq!(Failure::of_stop(&budget, true), None);
        let exhausted = Failure::of_stop(&budget, false).expect("no answer");
        assert_eq!(exhausted.code, ErrorCode::BudgetExhausted);
        assert!(exhausted.message.contains("tokens"));
        assert_eq!(
            Failure::of_stop(&StopReason::Cancelled, true).map(|f| f.code),
            Some(ErrorCode::Aborted)
        );
        assert_eq!(Failure::of_stop(&StopReason::Completed, false), None);
    }

    #[test]
    fn engine_field_paths_become_the_paths_js_callers_wrote() {
        let failure = Failure::from(EngineError::config("selfConsistency.samples", "must be ≥ 1"))
            .in_run_options("selfConsistency");
        assert_eq!(failure.field.as_deref(), Some("strategy.samples"));
        assert!(failure.message.contains("`strategy.samples`"), "{}", failure.message);
        let failure = Failure::from(EngineError::config("task.extractor.pattern", "bad"))
            .in_run_options("selfConsistency");
        assert_eq!(failure.field.as_deref(), Some("extractor.pattern"));
        let failure =
            Failure::from(EngineError::config("maxTokens", "must be positive")).in_field("budget");
        assert_eq!(failure.field.as_deref(), Some("budget.maxTokens"));
    }

    #[test]
    fn model_failures_keep_the_status_and_the_providers_message() {
        let error = ModelError::new(ModelErrorKind::Auth, "Invalid API key").with_status(401);
        let failure = Failure::model(&error);
        assert_eq!(failure.code, ErrorCode::Auth);
        assert_eq!(failure.code.error_name(), "AuthenticationError");
        assert_eq!(failure.status, Some(401));
        assert_eq!(failure.provider_message.as_deref(), Some("Invalid API key"));
    }

    #[test]
    fn codes_serialize_as_their_strings() {
        for code in [ErrorCode::InvalidConfig, ErrorCode::BudgetExhausted, ErrorCode::Aborted] {
            let json = serde_json::to_string(&code).expect("serializes");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }
}
