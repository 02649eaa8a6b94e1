//! Self-consistency (Wang et al. 2023): sample many reasoning paths, vote on their answers — or,
//! when the replies are free-form, take the biggest cluster of what they say.

use serde::{Deserialize, Serialize};

use super::sampling::sample_plans;
use super::voting::Counting;
use super::{Sampling, Strategy, ValidationContext};
use crate::cluster::Aggregate;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::prompt::{Prompting, reasoning_messages};
use crate::run::{Run, Step, Verdict};
use crate::vote::Weighting;

/// Largest `samples` (or `maxSamples`) a voting strategy accepts: far beyond any useful vote, and
/// a guard against a typo that would spend a fortune.
pub(crate) const MAX_SAMPLES: u32 = 4096;

/// Sample `samples` chains of thought, at most `concurrency` at a time, and take the majority
/// answer (optionally weighted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct SelfConsistency {
    /// How many samples. Default 8.
    pub samples: u32,
    /// Most requests in flight at once. Default 4.
    pub concurrency: u32,
    /// Sampling (temperature defaults to 0.7: diversity is the point).
    pub sampling: Sampling,
    /// Trigger phrase and few-shot exemplars.
    pub prompting: Prompting,
    /// How votes are weighted. Default uniform.
    pub weighting: Weighting,
    /// Vote on answers or cluster free-form replies. Default: vote while at least half the
    /// samples state an answer, else cluster.
    pub aggregate: Aggregate,
}

impl Default for SelfConsistency {
    fn default() -> Self {
        Self {
            samples: 8,
            concurrency: 4,
            sampling: Sampling::default(),
            prompting: Prompting::default(),
            weighting: Weighting::Uniform,
            aggregate: Aggregate::Auto,
        }
    }
}

/// The default temperature of voting strategies.
pub(crate) const VOTING_TEMPERATURE: f32 = 0.7;

/// What every voting strategy shares, with the names its own config gives the fields (errors
/// name them: `adaptiveConsistency.maxSamples`, `bestOfN.candidates`).
pub(crate) struct VotingSettings<'a> {
    /// The strategy's name.
    pub(crate) strategy: &'a str,
    /// The field that sets how many samples, and its value.
    pub(crate) samples_field: &'a str,
    pub(crate) samples: u32,
    /// The field that sets how many run at once, and its value.
    pub(crate) concurrency_field: &'a str,
    pub(crate) concurrency: u32,
    /// How each sample is drawn.
    pub(crate) sampling: &'a Sampling,
    /// How votes are weighted.
    pub(crate) weighting: Weighting,
}

impl VotingSettings<'_> {
    /// Checks the settings against their ranges and the model.
    pub(crate) fn validate(&self, context: &ValidationContext<'_>) -> Result<()> {
        let name = self.strategy;
        if !(1..=MAX_SAMPLES).contains(&self.samples) {
            return Err(Error::config(
                format!("{name}.{}", self.samples_field),
                format!("must be between 1 and {MAX_SAMPLES}"),
            ));
        }
        super::validate_concurrency(
            &format!("{name}.{}", self.concurrency_field),
            self.concurrency,
        )?;
        self.sampling.validate(&format!("{name}.sampling"))?;
        validate_weighting(self.weighting, context)
    }
}

/// Logprob weighting needs a model that returns logprobs.
fn validate_weighting(weighting: Weighting, context: &ValidationContext<'_>) -> Result<()> {
    if weighting == Weighting::MeanLogprob && !context.capabilities.logprobs {
        return Err(Error::Unsupported {
            model: context.model.to_owned(),
            feature: "logprobs (needed by weighting: meanLogprob; use uniform or confidence)"
                .to_owned(),
        });
    }
    Ok(())
}

impl Strategy for SelfConsistency {
    fn name(&self) -> &'static str {
        "selfConsistency"
    }

    fn validate(&self, context: &ValidationContext<'_>) -> Result<()> {
        VotingSettings {
            strategy: self.name(),
            samples_field: "samples",
            samples: self.samples,
            concurrency_field: "concurrency",
            concurrency: self.concurrency,
            sampling: &self.sampling,
            weighting: self.weighting,
        }
        .validate(context)?;
        self.aggregate.validate("selfConsistency.aggregate")
    }

    async fn execute<M: Model>(&self, run: &mut Run<'_, M>) -> Verdict {
        let mut counting = self.sample(run).await;
        counting.verdict(run.state())
    }
}

impl SelfConsistency {
    /// Samples the chains of thought, recording the vote (or clusters) as each one finishes, and
    /// returns the counting, ready for the verdict. Universal self-consistency samples the same
    /// way before its selector reads the replies.
    pub(crate) async fn sample<'r, M: Model>(&self, run: &mut Run<'r, M>) -> Counting<'r> {
        let weighting = self.weighting;
        let messages =
            reasoning_messages(run.task(), &self.prompting, weighting == Weighting::Confidence);
        let plans = sample_plans(
            &messages,
            &self.sampling,
            VOTING_TEMPERATURE,
            0..self.samples,
            run.capabilities().max_n,
            weighting == Weighting::MeanLogprob,
        );
        let mut counting = Counting::new(
            weighting,
            self.aggregate.for_extractor(&run.task().extractor),
            run.similarity(),
        );
        run.drive(plans, self.concurrency as usize, |journal, id| {
            if counting.counts(journal.state(), id) {
                counting.record(journal);
            }
            Step::Continue
        })
        .await;
        counting
    }
}
