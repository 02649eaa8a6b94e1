//! Tasks with exact checkers: ground truth for tests and benchmarks.
//!
//! A strategy's score is only as trustworthy as the checker behind it, so each task here decides
//! right or wrong exactly (no floating point, no fuzzy matching of the final number).

pub mod arithmetic;
pub mod game24;

pub use arithmetic::{Evaluated, ExpressionError, Rational, evaluate};
pub use game24::{Game24, Verdict24, candidate_expression};
