//! Loopback HTTP servers for thinkscale's tests and benchmarks.
//!
//! - [`FaultProxy`]: sits in front of a real model server and, request by request, injects the
//!   faults providers must survive — 429 with Retry-After, 500, a reset mid-stream, a stream
//!   truncated cleanly before its end marker, a stall — and records what it saw.
//! - [`FixedLatencyServer`]: answers every chat completion after a fixed delay (API-like
//!   latency without a model), for the concurrency benchmark.
//! - [`ReplayServer`]: replays recorded responses (Anthropic, Gemini) and records requests.
//! - [`HostileServer`]: misbehaves on purpose, one documented way per [`Misbehaviour`] (events
//!   that never end, keep-alives without data, answers that ignore `max_tokens`, HTML at 200,
//!   huge error messages, redirects, streams cut after one choice finished, context-length
//!   refusals), and records requests.
//!
//! All speak just enough HTTP/1.1 (one request per connection, chunked responses) and run on
//! a tokio runtime of their own thread, so they work under any test harness.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod hostile;
mod http;
mod proxy;
mod servers;

pub use hostile::{HostileServer, Misbehaviour};
pub use http::Recorded;
pub use proxy::{Fault, FaultProxy};
pub use servers::{FixedLatencyServer, ReplayServer};
