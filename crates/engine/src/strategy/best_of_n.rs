//! Best-of-N: sample candidates, score each with a judge, keep the best.
//!
//! The judge is either another model call per candidate (an LLM scoring prompt; each judge call is
//! a child node of its candidate and starts as soon as the candidate finishes) or a verifier
//! function supplied by the caller. If no candidate gets a score — every judge call failed, say —
//! the verdict falls back to the majority vote of the candidates, so nothing that succeeded is lost.

use serde::{Deserialize, Serialize};

use super::sampling::sample_plans;
use super::self_consistency::{VOTING_TEMPERATURE, VotingSettings};
use super::voting::{current_tally, vote_verdict};
use super::{Sampling, Strategy, ValidationContext};
use crate::error::{Error, Result};
use crate::event::{NodeId, NodeKind};
use crate::model::{Model, Request};
use crate::prompt::{
    DEFAULT_JUDGE_PROMPT, Prompting, judge_messages, parse_score, reasoning_messages,
};
use crate::run::{BranchPlan, Run, Step, Verdict};
use crate::state::{NodeStatus, RunState};
use crate::vote::{Weighting, votes_for};

/// Who scores the candidates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Judge {
    /// The model itself, asked to rate each candidate from 0 to `max_score`.
    Model {
        /// The scoring prompt, with `{question}`, `{solution}` and `{max}` placeholders.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prompt: Option<String>,
        /// The top of the scale. Default 10.
        #[serde(default = "default_max_score")]
        max_score: u32,
        /// Most tokens per judgement. Default 256.
        #[serde(default = "default_judge_tokens")]
        max_tokens: u32,
    },
    /// The caller's [`Verifier`](super::Verifier), given to the runner.
    Verifier,
}

fn default_max_score() -> u32 {
    10
}

fn default_judge_tokens() -> u32 {
    256
}

impl Default for Judge {
    fn default() -> Self {
        Self::Model {
            prompt: None,
            max_score: default_max_score(),
            max_tokens: default_judge_tokens(),
        }
    }
}

/// Sample `candidates` answers and return the one the judge scores highest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct BestOfN {
    /// How many candidates. Default 4.
    pub candidates: u32,
    /// Most requests in flight (candidates and judges together). Default 4.
    pub concurrency: u32,
    /// Sampling of candidates (temperature defaults to 0.7).
    pub sampling: Sampling,
    /// Trigger phrase and few-shot exemplars.
    pub prompting: Prompting,
    /// Who scores.
    pub judge: Judge,
}

impl Default for BestOfN {
    fn default() -> Self {
        Self {
            candidates: 4,
            concurrency: 4,
            sampling: Sampling::default(),
            prompting: Prompting::default(),
            judge: Judge::default(),
        }
    }
}

impl Strategy for BestOfN {
    fn name(&self) -> &'static str {
        "bestOfN"
    }

    fn validate(&self, context: &ValidationContext<'_>) -> Result<()> {
        VotingSettings {
            strategy: self.name(),
            samples_field: "candidates",
            samples: self.candidates,
            concurrency_field: "concurrency",
            concurrency: self.concurrency,
            sampling: &self.sampling,
            weighting: Weighting::Uniform,
        }
        .validate(context)?;
        match &self.judge {
            Judge::Verifier if !context.has_verifier => Err(Error::config(
                "bestOfN.judge",
                "is `verifier`, but no verifier function was given to the runner",
            )),
            Judge::Model { max_score: 0, .. } => {
                Err(Error::config("bestOfN.judge.maxScore", "must be at least 1"))
            }
            Judge::Model { max_tokens: 0, .. } => {
                Err(Error::config("bestOfN.judge.maxTokens", "must be at least 1"))
            }
            _ => Ok(()),
        }
    }

    async fn execute<M: Model>(&self, run: &mut Run<'_, M>) -> Verdict {
        let task = run.task();
        let verifier = run.verifier();
        let messages = reasoning_messages(task, &self.prompting, false);
        let plans = sample_plans(
            &messages,
            &self.sampling,
            VOTING_TEMPERATURE,
            0..self.candidates,
            run.capabilities().max_n,
            false,
        );
        let judge = &self.judge;
        let transcript = run.transcript().to_owned();
        run.drive(plans, self.concurrency as usize, |journal, id| {
            let Some(node) = journal.state().node(id).filter(|n| n.status == NodeStatus::Done)
            else {
                return Step::Continue;
            };
            match (node.kind, judge) {
                (NodeKind::Sample, Judge::Model { prompt, max_score, max_tokens }) => {
                    let template = prompt.as_deref().unwrap_or(DEFAULT_JUDGE_PROMPT);
                    let request =
                        Request::new(judge_messages(template, &transcript, &node.text, *max_score))
                            .temperature(0.0)
                            .max_tokens(*max_tokens);
                    let label = format!("judge of {id}");
                    Step::Spawn(vec![
                        BranchPlan::new(NodeKind::Judge, label, request).under(Some(id)),
                    ])
                }
                (NodeKind::Sample, Judge::Verifier) => {
                    if let Some(score) = verifier.and_then(|v| v.score(task.question(), node)) {
                        journal.score(id, score, None);
                    }
                    Step::Continue
                }
                (NodeKind::Judge, Judge::Model { max_score, .. }) => {
                    let verdict = node.parent.zip(parse_score(&node.text, *max_score));
                    if let Some((candidate, score)) = verdict {
                        journal.score(candidate, score, Some(id));
                    }
                    Step::Continue
                }
                _ => Step::Continue,
            }
        })
        .await;
        best_scored(run.state()).unwrap_or_else(|| vote_verdict(run.state(), Weighting::Uniform))
    }
}

/// The highest-scored finished candidate; ties go to the answer with more votes, then the
/// earliest candidate. `None` when no candidate was scored.
fn best_scored(state: &RunState) -> Option<Verdict> {
    let votes = current_tally(state, Weighting::Uniform);
    let support = |id: NodeId| votes_for(&votes, id);
    let best = state
        .nodes
        .iter()
        .filter(|n| n.kind == NodeKind::Sample && n.status == NodeStatus::Done)
        .filter_map(|n| n.score.map(|score| (n, score)))
        .max_by(|(a, sa), (b, sb)| {
            sa.total_cmp(sb).then(support(a.id).cmp(&support(b.id))).then(b.id.cmp(&a.id))
        })?;
    Some(Verdict { answer: best.0.answer.clone(), chosen: Some(best.0.id), votes })
}
