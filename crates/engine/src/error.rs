//! The engine's error type.
//!
//! Errors are for problems found *before* a run starts (an invalid strategy, task or budget) and
//! for traces that cannot be imported. Failures *during* a run — a model call that fails, a budget
//! that runs out, a cancellation — are not errors: they end as events and as the run's stop reason,
//! so that the branches that succeeded are never lost.

/// Everything that can go wrong in the engine's API.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is out of range or inconsistent; `field` names it as the JSON path
    /// a caller would write (for example `selfConsistency.samples`).
    #[error("invalid configuration: `{field}` {reason}")]
    InvalidConfig {
        /// The offending field, as a JSON-style path.
        field: String,
        /// What is wrong with it and what is allowed.
        reason: String,
    },
    /// The configuration asks for something this model cannot do (for example logprob weighting on
    /// a model without logprobs).
    #[error("the model `{model}` does not support {feature}")]
    Unsupported {
        /// The model's id.
        model: String,
        /// The missing capability, in words.
        feature: String,
    },
    /// A trace could not be parsed or its events do not describe a consistent run.
    #[error("invalid trace{}: {reason}", at.map(|i| format!(" at event {i}")).unwrap_or_default())]
    InvalidTrace {
        /// Index of the offending event, when the problem is in one event.
        at: Option<usize>,
        /// What is wrong.
        reason: String,
    },
}

impl Error {
    /// Shorthand for [`Error::InvalidConfig`].
    pub fn config(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidConfig { field: field.into(), reason: reason.into() }
    }
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
