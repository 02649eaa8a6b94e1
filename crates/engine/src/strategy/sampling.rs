//! Sampling settings shared by strategies, and planning of independent samples.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::event::NodeKind;
use crate::model::{Message, Reasoning, Request};
use crate::run::BranchPlan;

/// How each completion is sampled. Unset fields take the strategy's default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Sampling {
    /// Temperature; unset: 0 for single-answer strategies, 0.7 for voting ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Nucleus sampling mass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    /// Most tokens per completion. Default 512.
    pub max_tokens: u32,
    /// Base seed: sample `i` uses `seed + i`, so runs are reproducible where the model honours it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Stop strings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
    /// Reasoning effort or thinking budget, for reasoning models.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Reasoning>,
}

impl Default for Sampling {
    fn default() -> Self {
        Self {
            temperature: None,
            top_p: None,
            max_tokens: 512,
            seed: None,
            stop: Vec::new(),
            reasoning: None,
        }
    }
}

impl Sampling {
    /// Checks the ranges; `field` is the JSON path of this sampling block.
    pub fn validate(&self, field: &str) -> Result<()> {
        if let Some(t) = self.temperature
            && !(0.0..=2.0).contains(&t)
        {
            return Err(Error::config(format!("{field}.temperature"), "must be between 0 and 2"));
        }
        if let Some(p) = self.top_p
            && !(p > 0.0 && p <= 1.0)
        {
            return Err(Error::config(format!("{field}.topP"), "must be in (0, 1]"));
        }
        if self.max_tokens == 0 {
            return Err(Error::config(format!("{field}.maxTokens"), "must be at least 1"));
        }
        Ok(())
    }

    /// A request for `messages` with these settings; `index` offsets the seed.
    pub fn request(&self, messages: Vec<Message>, default_temperature: f32, index: u32) -> Request {
        let mut request = Request::new(messages)
            .temperature(self.temperature.unwrap_or(default_temperature))
            .max_tokens(self.max_tokens);
        request.top_p = self.top_p;
        request.seed = self.seed.map(|s| s.wrapping_add(u64::from(index)));
        request.stop.clone_from(&self.stop);
        request.reasoning = self.reasoning;
        request
    }
}

/// Plans samples `choices` (`first..first + count`) of `messages` as root nodes, packing up to
/// `max_n` choices into one request when the model supports `n` natively.
pub(crate) fn sample_plans(
    messages: &[Message],
    sampling: &Sampling,
    default_temperature: f32,
    choices: Range<u32>,
    max_n: u32,
    logprobs: bool,
) -> Vec<BranchPlan> {
    let request = sampling.request(messages.to_vec(), default_temperature, 0).logprobs(logprobs);
    choice_plans(&BranchPlan::new(NodeKind::Sample, "sample", request), choices, max_n, true)
}

/// Plans the choices `choices` of `plan`'s request as nodes like `plan`'s, packing up to `max_n`
/// choices per request. Choice `i` samples with seed `seed + i`; when `numbered`, its label is
/// `{label} {i + 1}`.
pub(crate) fn choice_plans(
    plan: &BranchPlan,
    choices: Range<u32>,
    max_n: u32,
    numbered: bool,
) -> Vec<BranchPlan> {
    let per_request = max_n.max(1);
    let mut plans = Vec::new();
    let mut index = choices.start;
    while index < choices.end {
        let n = per_request.min(choices.end - index);
        let mut request = plan.request.clone().n(n);
        request.seed = request.seed.map(|s| s.wrapping_add(u64::from(index)));
        let chunk = BranchPlan { request, ..plan.clone() };
        plans.push(if numbered { chunk.numbered_from(index + 1) } else { chunk });
        index += n;
    }
    plans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_pack_choices_and_offset_seeds() {
        let sampling = Sampling { seed: Some(100), ..Sampling::default() };
        let plans = sample_plans(&[Message::user("q")], &sampling, 0.7, 2..7, 2, true);
        let shape: Vec<(u32, Option<u64>)> =
            plans.iter().map(|p| (p.request.n, p.request.seed)).collect();
        assert_eq!(shape, [(2, Some(102)), (2, Some(104)), (1, Some(106))]);
        assert!(plans.iter().all(|p| p.request.logprobs && p.request.temperature == Some(0.7)));
        assert_eq!((plans[0].label.as_str(), plans[0].first_number), ("sample", Some(3)));
    }

    #[test]
    fn ranges_are_checked() {
        let bad = Sampling { temperature: Some(3.0), ..Sampling::default() };
        assert!(
            bad.validate("x.sampling").unwrap_err().to_string().contains("x.sampling.temperature")
        );
        let bad = Sampling { max_tokens: 0, ..Sampling::default() };
        assert!(bad.validate("s").is_err());
    }
}
