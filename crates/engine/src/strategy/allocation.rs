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
//! Agreement is the leading answer's share — or, for free-form replies, the biggest cluster's
//! ([`Aggregate`]), so open requests stop early when their replies agree too.
//!
//! [`Cascade`]: crate::model::Cascade

use serde::{Deserialize, Serialize};

use super::sampling::sample_plans;
use super::self_consistency::VOTING_TEMPERATURE;
use super::voting::{Counted, Counting, verdict_of};
use super::{Sampling, Strategy, StrategyConfig, ValidationContext};
use crate::cluster::Aggregate;
use crate::error::{Error, Result};
use crate::event::{NodeKind, SettleRule, StopReason};
use crate::model::{Effort, Model, Reasoning};
use crate::prompt::{Prompting, reasoning_messages};
use crate::run::{Run, Step, Verdict};
use crate::state::{Node, NodeStatus, RunState};
use crate::vote::Weighting;

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
    /// Vote on answers, or cluster free-form replies: what agreement is measured on. Default
    /// `auto`.
    pub aggregate: Aggregate,
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
            aggregate: Aggregate::Auto,
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
        self.aggregate.validate("adaptiveAllocation.aggregate")?;
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
        let aggregate = self.aggregate.for_extractor(&run.task().extractor);
        let counting = &mut Counting::new(Weighting::Uniform, aggregate, run.similarity());
        let mut pool = Pool { tier: 0, reasoning: self.sampling.reasoning, first: 0 };
        let mut launched = self.sample(run, counting, pool, self.first_wave, 0).await;
        for rung in self.ladder.iter().map(Some).chain(std::iter::once(None)) {
            if run.is_stopped() {
                break;
            }
            let counted = counting.count(pool.finished(run.state()));
            let difficulty = self.difficulty(run.state(), pool, &counted);
            let evidence = self.evidence(run.state(), pool, &counted);
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
                    launched += self.sample(run, counting, pool, *samples, launched).await;
                }
                Rung::Effort { level, samples } => {
                    let action = format!("{samples} samples at {level:?} reasoning effort");
                    run.journal().decide(difficulty, action.to_lowercase(), reason);
                    let reasoning = Some(Reasoning::Effort { level: *level });
                    pool = Pool { reasoning, first: run.state().nodes.len(), ..pool };
                    launched += self.sample(run, counting, pool, *samples, launched).await;
                }
                Rung::Model { tier, samples } => {
                    let id = run.tier_id(*tier).to_owned();
                    let action = format!("escalate to tier {tier} ({id}): {samples} samples");
                    run.journal().decide(difficulty, action, reason);
                    pool = Pool { tier: *tier, first: run.state().nodes.len(), ..pool };
                    launched += self.sample(run, counting, pool, *samples, launched).await;
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
        let votes = counting.count(pool.finished(run.state()));
        if votes.tallies.is_empty() {
            // The last pool has no answer: every sample decides.
            let everyone = Pool { first: 0, ..pool };
            return verdict_of(counting.count(everyone.finished(run.state())));
        }
        verdict_of(votes)
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
    fn samples<'s>(&self, state: &'s RunState) -> impl Iterator<Item = &'s Node> + Clone {
        state.nodes.iter().skip(self.first).filter(|n| n.kind == NodeKind::Sample)
    }

    /// The pool's finished samples: what its vote counts.
    fn finished<'s>(&self, state: &'s RunState) -> impl Iterator<Item = &'s Node> + Clone {
        self.samples(state).filter(|n| n.status == NodeStatus::Done)
    }
}

impl AdaptiveAllocation {
    /// Samples `count` more into `pool`, numbered after the `launched` so far; returns `count`.
    async fn sample<M: Model>(
        &self,
        run: &mut Run<'_, M>,
        counting: &mut Counting<'_>,
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
            if counting.counts(journal.state(), id) {
                // The vote shown is the pool's: the one that decides.
                let counted = counting.count(pool.finished(journal.state()));
                if let Some(clusters) = &counted.clusters {
                    journal.clusters(clusters);
                }
                journal.tally(&counted.tallies);
            }
            Step::Continue
        })
        .await;
        count
    }

    /// The pool's difficulty in [0, 1] from its `counted` samples; 1 when nothing finished.
    fn difficulty(&self, state: &RunState, pool: Pool, counted: &Counted) -> f64 {
        let finished: Vec<&Node> = pool.finished(state).collect();
        if finished.is_empty() {
            return 1.0;
        }
        let share = match self.estimate {
            Estimate::Agreement => {
                let leader = counted.tallies.first().map_or(0, |t| t.votes);
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
    fn evidence(&self, state: &RunState, pool: Pool, counted: &Counted) -> String {
        let finished = pool.finished(state).count();
        match self.estimate {
            Estimate::Agreement => {
                let leader = counted.tallies.first().map_or(0, |t| t.votes);
                match counted.clusters {
                    Some(_) => format!("{leader} of {finished} replies alike"),
                    None => format!("{leader} of {finished} samples agree"),
                }
            }
            Estimate::Confidence => {
                let difficulty = self.difficulty(state, pool, counted);
                format!(
                    "mean stated confidence {:.0}% over {finished} samples",
                    (1.0 - difficulty) * 100.0
                )
            }
        }
    }
}
