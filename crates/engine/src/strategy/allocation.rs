//! Adaptive allocation ("compute-optimal" scaling, Snell et al. 2024): spend little on easy
//! questions and more on hard ones.
//!
//! A first small wave of samples estimates the question's difficulty — from how far its answers
//! disagree, or from the confidence the model states. If the estimate says easy, the run stops
//! there. Otherwise it climbs a ladder of escalations, one rung at a time, re-estimating after
//! each: more samples, a higher reasoning effort, a stronger model of a [`Cascade`] (the built-in
//! model first, a remote one only on disagreement), or another strategy altogether. Every
//! decision and its reason is a `decided` event, and the run's budget bounds all of it.
//!
//! [`Cascade`]: crate::model::Cascade

use serde::{Deserialize, Serialize};

use super::sampling::sample_plans;
use super::self_consistency::VOTING_TEMPERATURE;
use super::voting::answered;
use super::{Sampling, Strategy, StrategyConfig, ValidationContext};
use crate::error::{Error, Result};
use crate::event::{NodeKind, SettleRule, StopReason};
use crate::model::{Effort, Model, Reasoning};
use crate::prompt::{Prompting, reasoning_messages};
use crate::run::{Run, Step, Verdict};
use crate::state::{NodeStatus, RunState};
use crate::vote::{Ballot, tally};

/// How difficulty is estimated from a wave of samples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Estimate {
    /// 1 − the leading answer's share of the finished samples (unanswered ones count against it).
    #[default]
    Agreement,
    /// 1 − the samples' mean stated confidence (the prompt asks for "Confidence: N%").
    Confidence,
}

/// One step up in compute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Rung {
    /// More samples from the same model; they join the vote.
    MoreSamples {
        /// How many.
        samples: u32,
    },
    /// Samples with a higher reasoning effort (reasoning models); they form a new vote.
    Effort {
        /// The effort.
        level: Effort,
        /// How many samples.
        samples: u32,
    },
    /// Samples from a stronger model of the cascade; they form a new vote.
    Model {
        /// The cascade tier (1: the second model).
        tier: u32,
        /// How many samples.
        samples: u32,
    },
    /// Another strategy, run in the same run and budget; its answer is final.
    Strategy {
        /// The strategy.
        strategy: Box<StrategyConfig>,
    },
}

/// A first wave, a difficulty estimate, and escalations only while the question looks hard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct AdaptiveAllocation {
    /// Samples in the first wave. Default 3.
    pub first_wave: u32,
    /// The difficulty at or below which the run stops (0: only unanimous, confident waves
    /// stop). Default 0.
    pub easy_below: f64,
    /// How difficulty is estimated. Default: agreement.
    pub estimate: Estimate,
    /// The escalations, tried in order while the question still looks hard. Default: 5 more
    /// samples.
    pub ladder: Vec<Rung>,
    /// Sampling (temperature defaults to 0.7).
    pub sampling: Sampling,
    /// Trigger phrase and few-shot exemplars.
    pub prompting: Prompting,
    /// Most requests in flight. Default 4.
    pub concurrency: u32,
}

impl Default for AdaptiveAllocation {
    fn default() -> Self {
        Self {
            first_wave: 3,
            easy_below: 0.0,
            estimate: Estimate::Agreement,
            ladder: vec![Rung::MoreSamples { samples: 5 }],
            sampling: Sampling::default(),
            prompting: Prompting::default(),
            concurrency: 4,
        }
    }
}

/// Most samples in one wave or rung.
const MAX_WAVE: u32 = 64;

impl Strategy for AdaptiveAllocation {
    fn name(&self) -> &'static str {
        "adaptiveAllocation"
    }

    fn validate(&self, context: &ValidationContext<'_>) -> Result<()> {
        let samples_in_range = |field: String, samples: u32| {
            if (1..=MAX_WAVE).contains(&samples) {
                Ok(())
            } else {
                Err(Error::config(field, format!("must be between 1 and {MAX_WAVE}")))
            }
        };
        samples_in_range("adaptiveAllocation.firstWave".into(), self.first_wave)?;
        if !(0.0..=1.0).contains(&self.easy_below) {
            return Err(Error::config("adaptiveAllocation.easyBelow", "must be between 0 and 1"));
        }
        super::validate_concurrency("adaptiveAllocation.concurrency", self.concurrency)?;
        for (index, rung) in self.ladder.iter().enumerate() {
            let field = |name: &str| format!("adaptiveAllocation.ladder[{index}].{name}");
            match rung {
                Rung::MoreSamples { samples } => samples_in_range(field("samples"), *samples)?,
                Rung::Effort { samples, .. } => {
                    samples_in_range(field("samples"), *samples)?;
                    if !context.capabilities.reasoning {
                        return Err(Error::Unsupported {
                            model: context.model.to_owned(),
                            feature: format!(
                                "reasoning effort (needed by {}); use moreSamples or model",
                                field("level")
                            ),
                        });
                    }
                }
                Rung::Model { tier, samples } => {
                    samples_in_range(field("samples"), *samples)?;
                    if *tier == 0 || *tier >= context.tiers {
                        return Err(Error::config(
                            field("tier"),
                            format!(
                                "must name a stronger model of the cascade: 1 to {} (the model \
                                 has {} tier(s))",
                                context.tiers.saturating_sub(1),
                                context.tiers
                            ),
                        ));
                    }
                }
                Rung::Strategy { strategy } => {
                    if matches!(**strategy, StrategyConfig::AdaptiveAllocation(_)) {
                        return Err(Error::config(
                            field("strategy"),
                            "cannot be adaptiveAllocation itself",
                        ));
                    }
                    strategy.validate(context)?;
                }
            }
        }
        self.sampling.validate("adaptiveAllocation.sampling")
    }

    async fn execute<M: Model>(&self, run: &mut Run<'_, M>) -> Verdict {
        let mut pool = Pool { tier: 0, reasoning: self.sampling.reasoning, first: 0 };
        let mut launched = self.sample(run, pool, self.first_wave, 0).await;
        for rung in self.ladder.iter().map(Some).chain(std::iter::once(None)) {
            if run.is_stopped() {
                break;
            }
            let difficulty = self.difficulty(run.state(), pool);
            let evidence = self.evidence(run.state(), pool);
            if difficulty <= self.easy_below {
                run.journal().decide(difficulty, "stop", format!("easy: {evidence}"));
                let detail =
                    format!("difficulty {difficulty:.2} ≤ {:.2}: {evidence}", self.easy_below);
                run.stop(StopReason::Settled { rule: SettleRule::Difficulty, detail });
                break;
            }
            let Some(rung) = rung else {
                run.journal().decide(difficulty, "stop", format!("no escalation left; {evidence}"));
                break;
            };
            let reason = format!("hard: {evidence}");
            match rung {
                Rung::MoreSamples { samples } => {
                    run.journal().decide(difficulty, format!("{samples} more samples"), reason);
                    launched += self.sample(run, pool, *samples, launched).await;
                }
                Rung::Effort { level, samples } => {
                    let action = format!("{samples} samples at {level:?} reasoning effort");
                    run.journal().decide(difficulty, action.to_lowercase(), reason);
                    let reasoning = Some(Reasoning::Effort { level: *level });
                    pool = Pool { reasoning, first: run.state().nodes.len(), ..pool };
                    launched += self.sample(run, pool, *samples, launched).await;
                }
                Rung::Model { tier, samples } => {
                    let id = run.tier_id(*tier).to_owned();
                    let action = format!("escalate to tier {tier} ({id}): {samples} samples");
                    run.journal().decide(difficulty, action, reason);
                    pool = Pool { tier: *tier, first: run.state().nodes.len(), ..pool };
                    launched += self.sample(run, pool, *samples, launched).await;
                }
                Rung::Strategy { strategy } => {
                    run.journal().decide(
                        difficulty,
                        format!("switch to {}", strategy.name()),
                        reason,
                    );
                    let verdict = strategy.execute_leaf(run).await;
                    if verdict.answer.is_some() || run.is_stopped() {
                        return verdict;
                    }
                }
            }
        }
        pool_verdict(run.state(), pool)
    }
}

/// The samples that vote together: those of one tier and reasoning setting, from node `first`
/// on. Escalating starts a new pool, so a stronger model is not outvoted by a weaker one.
#[derive(Debug, Clone, Copy)]
struct Pool {
    tier: u32,
    reasoning: Option<Reasoning>,
    first: usize,
}

impl Pool {
    fn samples<'s>(&self, state: &'s RunState) -> impl Iterator<Item = &'s crate::state::Node> {
        state.nodes.iter().skip(self.first).filter(|n| n.kind == NodeKind::Sample)
    }
}

impl AdaptiveAllocation {
    /// Samples `count` more into `pool`, numbered after the `launched` so far; returns `count`.
    async fn sample<M: Model>(
        &self,
        run: &mut Run<'_, M>,
        pool: Pool,
        count: u32,
        launched: u32,
    ) -> u32 {
        let confidence = self.estimate == Estimate::Confidence;
        let messages = reasoning_messages(run.task(), &self.prompting, confidence);
        let mut plans = sample_plans(
            &messages,
            &self.sampling,
            VOTING_TEMPERATURE,
            launched..launched + count,
            run.capabilities().max_n,
            false,
        );
        for plan in &mut plans {
            plan.request.tier = pool.tier;
            plan.request.reasoning = pool.reasoning;
        }
        run.drive(plans, self.concurrency as usize, |journal, id| {
            if answered(journal.state(), id) {
                // The vote shown is the pool's: the one that decides.
                let tallies = pool_tally(journal.state(), pool);
                journal.tally(&tallies);
            }
            Step::Continue
        })
        .await;
        count
    }

    /// The pool's difficulty in [0, 1]; 1 when nothing finished.
    fn difficulty(&self, state: &RunState, pool: Pool) -> f64 {
        let finished: Vec<&crate::state::Node> =
            pool.samples(state).filter(|n| n.status == NodeStatus::Done).collect();
        if finished.is_empty() {
            return 1.0;
        }
        let share = match self.estimate {
            Estimate::Agreement => {
                let leader = pool_tally(state, pool).first().map_or(0, |t| t.votes);
                f64::from(leader) / finished.len() as f64
            }
            Estimate::Confidence => {
                let stated = finished.iter().map(|n| n.confidence.unwrap_or(0.0));
                stated.sum::<f64>() / finished.len() as f64
            }
        };
        (1.0 - share).clamp(0.0, 1.0)
    }

    /// The evidence behind the estimate, in words.
    fn evidence(&self, state: &RunState, pool: Pool) -> String {
        let finished = pool.samples(state).filter(|n| n.status == NodeStatus::Done).count();
        match self.estimate {
            Estimate::Agreement => {
                let leader = pool_tally(state, pool).first().map_or(0, |t| t.votes);
                format!("{leader} of {finished} samples agree")
            }
            Estimate::Confidence => {
                let difficulty = self.difficulty(state, pool);
                format!(
                    "mean stated confidence {:.0}% over {finished} samples",
                    (1.0 - difficulty) * 100.0
                )
            }
        }
    }
}

fn pool_tally(state: &RunState, pool: Pool) -> Vec<crate::vote::Tally> {
    tally(
        pool.samples(state).filter(|n| n.status == NodeStatus::Done).filter_map(|n| {
            n.answer.as_ref().map(|answer| Ballot { node: n.id, answer, weight: 1.0 })
        }),
    )
}

/// The vote of the last pool; if it has no answer, the vote of every sample.
fn pool_verdict(state: &RunState, pool: Pool) -> Verdict {
    let everyone = Pool { first: 0, ..pool };
    let votes = Some(pool_tally(state, pool))
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| pool_tally(state, everyone));
    Verdict::of_vote(votes)
}
