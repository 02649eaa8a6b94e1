//! Self-consistency (Wang et al. 2023): sample many reasoning paths, vote on their answers.

use serde::{Deserialize, Serialize};

use super::sampling::sample_plans;
use super::voting::{answered, record_vote, vote_verdict};
use super::{Sampling, Strategy, ValidationContext};
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
}

impl Default for SelfConsistency {
    fn default() -> Self {
        Self {
            samples: 8,
            concurrency: 4,
            sampling: Sampling::default(),
            prompting: Prompting::default(),
            weighting: Weighting::Uniform,
        }
    }
}

/// The default temperature of voting strategies.
pub(crate) const VOTING_TEMPERATURE: f32 = 0.7;

/// Checks what every voting strategy shares.
pub(crate) fn validate_voting(
    name: &str,
    (samples_field, samples): (&str, u32),
    (concurrency_field, concurrency): (&str, u32),
    sampling: &Sampling,
    weighting: Weighting,
    context: &ValidationContext<'_>,
) -> Result<()> {
    if !(1..=MAX_SAMPLES).contains(&samples) {
        return Err(Error::config(
            format!("{name}.{samples_field}"),
            format!("must be between 1 and {MAX_SAMPLES}"),
        ));
    }
    super::validate_concurrency(&format!("{name}.{concurrency_field}"), concurrency)?;
    sampling.validate(&format!("{name}.sampling"))?;
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
        validate_voting(
            self.name(),
            ("samples", self.samples),
            ("concurrency", self.concurrency),
            &self.sampling,
            self.weighting,
            context,
        )
    }

    async fn execute<M: Model>(&self, run: &mut Run<'_, M>) -> Verdict {
        let weighting = self.weighting;
        let messages =
            reasoning_messages(run.task(), &self.prompting, weighting == Weighting::Confidence);
        let capabilities = run.capabilities();
        let plans = sample_plans(
            &messages,
            &self.sampling,
            VOTING_TEMPERATURE,
            (0, self.samples),
            capabilities.max_n,
            weighting == Weighting::MeanLogprob,
        );
        run.drive(plans, self.concurrency as usize, |journal, id| {
            if answered(journal.state(), id) {
                record_vote(journal, weighting);
            }
            Step::Continue
        })
        .await;
        vote_verdict(run.state(), weighting)
    }
}
