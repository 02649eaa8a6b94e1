//! The providers against loopback servers of the project's own that misbehave exactly as broken
//! or hostile servers were seen to (issue 13), through the real native transport over real HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod bodies;
mod choices;
mod redirects;
mod streams;
mod support;
