//! Integration tests of thinkscale, as one test binary (one module per area).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod builtin;
mod data;
mod extraction;
mod faults;
mod free_form;
mod live;
mod recorded;
mod search;
mod support;
mod traces;
