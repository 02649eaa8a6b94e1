//! When and how long to wait before retrying a failed call, and how long to wait for a server.
//!
//! Retried: 429, 408, 409 and 5xx except 501, timeouts, connection failures, resets and streams cut
//! before their end. Not retried: authentication and malformed-request errors, which would fail
//! the same way again, and waits the server asks for that exceed [`RetryPolicy::max_delay`].
//! Delays grow exponentially from `initial_delay`, are capped at `max_delay`, and are jittered
//! (half fixed, half random) so parallel branches do not retry in lockstep.

use std::time::Duration;

use thinkscale_engine::model::{ModelError, ModelErrorKind};

/// How failed calls are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// The base delay before the first retry.
    pub initial_delay: Duration,
    /// The cap on any delay, including a server's Retry-After; a longer Retry-After is reported
    /// as the error instead of waited out.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// The wait before attempt `next_attempt` (2 for the first retry) after `error`, or `None`
    /// when the error must not be retried. `random` is uniform in [0, 1).
    pub fn delay(&self, next_attempt: u32, error: &ModelError, random: f64) -> Option<Duration> {
        if next_attempt > self.max_attempts || !is_retryable(error) {
            return None;
        }
        if let Some(ms) = error.retry_after_ms {
            let asked = Duration::from_millis(ms);
            return (asked <= self.max_delay).then_some(asked);
        }
        let exponent = next_attempt.saturating_sub(2).min(16);
        let full = self.initial_delay.saturating_mul(1 << exponent).min(self.max_delay);
        Some(full / 2 + full.mul_f64(random.clamp(0.0, 1.0) / 2.0))
    }
}

/// Whether a failure is transient, so the same request may succeed if sent again.
pub(crate) fn is_retryable(error: &ModelError) -> bool {
    match error.kind {
        ModelErrorKind::RateLimited | ModelErrorKind::Timeout | ModelErrorKind::Network => true,
        ModelErrorKind::Server => error.status != Some(501),
        _ => false,
    }
}

/// How long to wait for a server before calling it a timeout (and, usually, retrying). Each
/// limit applies to one attempt; a retry starts them afresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From sending a request to receiving its status and headers. Default 60 s.
    pub response: Duration,
    /// The longest the server may go without sending data once the response has started (a
    /// stall). Only data counts — an event carrying `data:` — not keep-alive comments, so a
    /// server that sends nothing else cannot hold a request open. Default 60 s.
    pub idle: Duration,
    /// The longest one attempt may take, from sending the request to the end of its body,
    /// however steadily the server streams: a server that never ends its answer cannot hold a
    /// branch for ever. Default 10 minutes, generous for slow local models writing long answers.
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            response: Duration::from_secs(60),
            idle: Duration::from_secs(60),
            total: Duration::from_secs(600),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(kind: ModelErrorKind) -> ModelError {
        ModelError::new(kind, "x")
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered_within_half() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        let server = error(ModelErrorKind::Server);
        assert_eq!(policy.delay(2, &server, 0.0), Some(Duration::from_millis(50)));
        assert_eq!(policy.delay(3, &server, 0.999_999).map(|d| d.as_millis()), Some(199));
        assert_eq!(policy.delay(9, &server, 0.0), Some(Duration::from_millis(500)));
        assert_eq!(policy.delay(11, &server, 0.0), None);
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let mut limited = error(ModelErrorKind::RateLimited);
        limited.retry_after_ms = Some(1200);
        assert_eq!(policy.delay(2, &limited, 0.5), Some(Duration::from_millis(1200)));
        limited.retry_after_ms = Some(120_000);
        assert_eq!(policy.delay(2, &limited, 0.5), None);
    }

    #[test]
    fn permanent_failures_are_not_retried() {
        let policy = RetryPolicy::default();
        for kind in
            [ModelErrorKind::Auth, ModelErrorKind::InvalidRequest, ModelErrorKind::Cancelled]
        {
            assert_eq!(policy.delay(2, &error(kind), 0.5), None);
        }
        assert_eq!(policy.delay(2, &error(ModelErrorKind::Server).with_status(501), 0.5), None);
        assert!(policy.delay(2, &error(ModelErrorKind::Network), 0.5).is_some());
    }
}
