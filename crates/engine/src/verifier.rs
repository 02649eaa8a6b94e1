//! [`Verifier`]: the caller's check of a candidate answer. Its own module because both the
//! strategies that consult it and the run that carries it refer to it.

use crate::compat::{MaybeSend, MaybeSync};
use crate::state::Node;

/// Scores a candidate answer — unit tests, an exact checker, a reward model — for best-of-N
/// (`judge: {"kind": "verifier"}`), tree search (accepting and choosing answers) and self-refine
/// (keeping the best version). Higher is better, in [0, 1] by convention; `None` leaves the
/// candidate unscored.
pub trait Verifier: MaybeSend + MaybeSync {
    /// Scores `candidate` (its text and extracted answer) as an answer to `question`.
    fn score(&self, question: &str, candidate: &Node) -> Option<f64>;
}

impl<F> Verifier for F
where
    F: Fn(&str, &Node) -> Option<f64> + MaybeSend + MaybeSync,
{
    fn score(&self, question: &str, candidate: &Node) -> Option<f64> {
        self(question, candidate)
    }
}
