//! Adaptive consistency: self-consistency that stops sampling once the vote is settled.
//!
//! Samples go out in waves. With the Beta rule the vote is checked after every sample, and when it
//! settles the rest of the wave — still in flight — is cancelled. With the window rule (ESC) each
//! wave is a window, and a unanimous window ends the run.

use serde::{Deserialize, Serialize};

use super::sampling::sample_plans;
use super::self_consistency::{VOTING_TEMPERATURE, VotingSettings};
use super::voting::{Counting, finished, finished_samples};
use super::{Sampling, Strategy, ValidationContext};
use crate::cluster::Aggregate;
use crate::error::{Error, Result};
use crate::event::{SettleRule, StopReason};
use crate::model::Model;
use crate::prompt::{Prompting, reasoning_messages};
use crate::run::{Run, Step, Verdict};
use crate::stopping::{StopRule, majority_probability, window_unanimous};
use crate::vote::Weighting;

/// Sample in waves of `wave`, up to `max_samples`, until `rule` says the vote is settled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct AdaptiveConsistency {
    /// The most samples it may take. Default 16.
    pub max_samples: u32,
    /// Samples per wave (all in flight together; the window size for the window rule). Default 4.
    pub wave: u32,
    /// When the vote counts as settled. Default: Beta with threshold 0.95.
    pub rule: StopRule,
    /// Sampling (temperature defaults to 0.7).
    pub sampling: Sampling,
    /// Trigger phrase and few-shot exemplars.
    pub prompting: Prompting,
    /// How votes are weighted for the final answer (stopping always counts votes). Default uniform.
    pub weighting: Weighting,
    /// Vote on answers or cluster free-form replies; with clusters, agreement is the leading
    /// cluster's share. Default: vote while at least half the samples state an answer.
    pub aggregate: Aggregate,
}

impl Default for AdaptiveConsistency {
    fn default() -> Self {
        Self {
            max_samples: 16,
            wave: 4,
            rule: StopRule::default(),
            sampling: Sampling::default(),
            prompting: Prompting::default(),
            weighting: Weighting::Uniform,
            aggregate: Aggregate::Auto,
        }
    }
}

impl Strategy for AdaptiveConsistency {
    fn name(&self) -> &'static str {
        "adaptiveConsistency"
    }

    fn validate(&self, context: &ValidationContext<'_>) -> Result<()> {
        VotingSettings {
            strategy: self.name(),
            samples_field: "maxSamples",
            samples: self.max_samples,
            concurrency_field: "wave",
            concurrency: self.wave,
            sampling: &self.sampling,
            weighting: self.weighting,
        }
        .validate(context)?;
        if let StopRule::Beta { threshold, .. } = self.rule
            && !(threshold > 0.5 && threshold < 1.0)
        {
            return Err(Error::config(
                "adaptiveConsistency.rule.threshold",
                "must be above 0.5 and below 1 (it is a probability that the leader is the majority)",
            ));
        }
        self.aggregate.validate("adaptiveConsistency.aggregate")?;
        if self.rule == StopRule::Window && self.wave < 2 {
            return Err(Error::config(
                "adaptiveConsistency.wave",
                "must be at least 2 for the window rule",
            ));
        }
        Ok(())
    }

    async fn execute<M: Model>(&self, run: &mut Run<'_, M>) -> Verdict {
        let weighting = self.weighting;
        let rule = self.rule;
        let messages =
            reasoning_messages(run.task(), &self.prompting, weighting == Weighting::Confidence);
        let capabilities = run.capabilities();
        let mut counting = Counting::new(
            weighting,
            self.aggregate.for_extractor(&run.task().extractor),
            run.similarity(),
        );
        let mut launched = 0;
        while launched < self.max_samples && !run.is_stopped() {
            let size = self.wave.min(self.max_samples - launched);
            let plans = sample_plans(
                &messages,
                &self.sampling,
                VOTING_TEMPERATURE,
                launched..launched + size,
                capabilities.max_n,
                weighting == Weighting::MeanLogprob,
            );
            launched += size;
            let wave = run
                .drive(plans, size as usize, |journal, id| {
                    if !counting.counts(journal.state(), id) {
                        return Step::Continue;
                    }
                    let tallies = counting.record(journal).tallies;
                    let StopRule::Beta { threshold, min_samples } = rule else {
                        return Step::Continue;
                    };
                    let samples = finished_samples(journal.state());
                    // Stopping counts votes, whatever the weighting of the final answer.
                    let leader = tallies.iter().map(|t| t.votes).max().unwrap_or(0);
                    let probability = majority_probability(leader, samples);
                    if samples >= min_samples && probability >= threshold {
                        return Step::Stop(StopReason::Settled {
                            rule: SettleRule::Beta,
                            detail: format!(
                                "P(leader is the majority) = {probability:.3} ≥ {threshold} with {leader} of {samples} samples agreeing"
                            ),
                        });
                    }
                    Step::Continue
                })
                .await;
            if rule == StopRule::Window && !run.is_stopped() && wave.len() >= 2 {
                // Each sample's answer, or its cluster: the standing it counts in.
                let standings = counting.count(finished(run.state())).tallies;
                let keys: Vec<Option<&str>> = wave
                    .iter()
                    .map(|id| {
                        standings
                            .iter()
                            .find(|t| t.nodes.contains(id))
                            .map(|t| t.answer.key.as_str())
                    })
                    .collect();
                if window_unanimous(&keys) {
                    let detail = format!("all {} samples of the last window agree", keys.len());
                    run.stop(StopReason::Settled { rule: SettleRule::Window, detail });
                }
            }
        }
        counting.verdict(run.state())
    }
}
