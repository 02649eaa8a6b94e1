//! When to stop sampling: the rules of adaptive consistency.
//!
//! * **Beta** (Aggarwal et al. 2023, "Let's Sample Step by Step"): treat the share `p` of the
//!   leading answer as unknown with a uniform prior; after `v` of `n` samples agree with it, `p` has
//!   posterior `Beta(v + 1, n − v + 1)`. Stop once `P(p > ½)` — the probability that the leader is
//!   the majority answer — reaches a threshold. The paper compares the leader with the runner-up
//!   only; we compare it with *all* other samples, which stops a little later but guarantees that a
//!   run never stops while its leader lacks a majority of the samples so far.
//! * **Window** (Li et al. 2024, "Escape Sky-high Cost"): sample in windows of `w`; stop after the
//!   first window whose `w` answers are all the same.

use serde::{Deserialize, Serialize};

/// The rule adaptive consistency uses to decide that the vote is settled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum StopRule {
    /// Stop when `P(leader is the majority) ≥ threshold`, checked after every sample.
    Beta {
        /// The probability required, in (0.5, 1). Default 0.95.
        #[serde(default = "default_threshold")]
        threshold: f64,
        /// Never stop before this many samples have finished. Default 0.
        #[serde(default)]
        min_samples: u32,
    },
    /// Stop after a wave (window) whose samples all gave the same answer.
    Window,
}

fn default_threshold() -> f64 {
    0.95
}

impl Default for StopRule {
    fn default() -> Self {
        Self::Beta { threshold: default_threshold(), min_samples: 0 }
    }
}

/// `P(p > ½)` for `p ~ Beta(leader + 1, samples − leader + 1)`: the posterior probability that the
/// answer with `leader` of `samples` votes is the majority answer.
///
/// For integer parameters, `P(p > ½) = P(Binomial(samples + 1, ½) ≤ leader)`, summed in log space
/// so that thousands of samples neither overflow nor underflow.
pub fn majority_probability(leader: u32, samples: u32) -> f64 {
    let leader = leader.min(samples);
    let trials = f64::from(samples) + 1.0;
    let log_half_power = -trials * std::f64::consts::LN_2;
    let mut log_choose = 0.0; // ln C(trials, 0)
    let mut total = 0.0;
    for k in 0..=leader {
        if k > 0 {
            let k = f64::from(k);
            log_choose += (trials - k + 1.0).ln() - k.ln();
        }
        total += (log_choose + log_half_power).exp();
    }
    total.min(1.0)
}

/// Whether a window of answer keys is unanimous (all present and equal, at least two of them).
pub fn window_unanimous(keys: &[Option<&str>]) -> bool {
    match keys.first() {
        Some(Some(first)) if keys.len() >= 2 => keys.iter().all(|k| k == &Some(*first)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn closed_forms() {
        // Unanimous v of v: Beta(v + 1, 1), P(p > ½) = 1 − 2^−(v+1).
        for v in 0..20u32 {
            let expected = 1.0 - 0.5f64.powi(v as i32 + 1);
            assert!((majority_probability(v, v) - expected).abs() < 1e-12, "v = {v}");
        }
        // A tie is exactly a coin flip.
        assert!((majority_probability(3, 6) - 0.5).abs() < 1e-12);
        // Four unanimous samples pass 0.95; three do not.
        assert!(majority_probability(4, 4) >= 0.95 && majority_probability(3, 3) < 0.95);
    }

    #[test]
    fn large_counts_stay_finite() {
        let p = majority_probability(3000, 5000);
        assert!(p.is_finite() && p > 0.999_999, "{p}");
        let q = majority_probability(2000, 5000);
        assert!(q.is_finite() && q < 1e-6, "{q}");
    }

    #[test]
    fn windows() {
        assert!(window_unanimous(&[Some("4"), Some("4"), Some("4")]));
        assert!(!window_unanimous(&[Some("4"), Some("5")]));
        assert!(!window_unanimous(&[Some("4"), None]));
        assert!(!window_unanimous(&[Some("4")]));
        assert!(!window_unanimous(&[]));
    }

    proptest! {
        /// Whatever the threshold above ½, the rule never fires while the leader has no majority.
        #[test]
        fn never_settles_without_a_majority(samples in 1u32..500, share in 0.0f64..=0.5) {
            let leader = (f64::from(samples) * share).floor() as u32;
            prop_assert!(2 * leader <= samples);
            prop_assert!(majority_probability(leader, samples) <= 0.5 + 1e-9);
        }

        /// More agreement never lowers the probability.
        #[test]
        fn monotone_in_agreement(samples in 1u32..300, leader in 0u32..300) {
            let leader = leader.min(samples.saturating_sub(1));
            prop_assert!(majority_probability(leader + 1, samples) >= majority_probability(leader, samples));
        }
    }
}
