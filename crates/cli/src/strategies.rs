//! Turning the command line's strategy flags into the engine's plain strategy config: sampling
//! (with reasoning settings), and each strategy's parameters.

use thinkscale_engine::model::{Effort, Reasoning};
use thinkscale_engine::strategy::{
    AdaptiveAllocation, AdaptiveConsistency, BestOfN, ChainOfThought, Direct, Evaluator, Generator,
    Judge, Rung, Sampling, Search, SelfConsistency, SelfRefine, StrategyConfig, TreeOfThoughts,
    UniversalSelfConsistency,
};

use crate::args::{JudgeName, Setup, StrategyName};

impl Setup {
    fn sampling(&self) -> Sampling {
        let reasoning = match (&self.reasoning_effort, self.thinking_budget) {
            (_, Some(tokens)) => Some(Reasoning::Budget { tokens }),
            (Some(level), None) => Some(Reasoning::Effort {
                level: match level.as_str() {
                    "low" => Effort::Low,
                    "high" => Effort::High,
                    _ => Effort::Medium,
                },
            }),
            (None, None) => None,
        };
        Sampling {
            temperature: Some(self.temperature),
            max_tokens: self.max_tokens,
            seed: self.seed,
            reasoning,
            ..Sampling::default()
        }
    }

    /// The strategy as the engine's plain config.
    pub(crate) fn strategy(&self) -> StrategyConfig {
        let sampling = self.sampling();
        match self.strategy {
            StrategyName::Direct => StrategyConfig::Direct(Direct { sampling }),
            StrategyName::Cot => {
                StrategyConfig::ChainOfThought(ChainOfThought { sampling, ..Default::default() })
            }
            StrategyName::SelfConsistency => StrategyConfig::SelfConsistency(SelfConsistency {
                samples: self.n,
                concurrency: self.concurrency,
                sampling,
                ..Default::default()
            }),
            StrategyName::Usc => {
                StrategyConfig::UniversalSelfConsistency(UniversalSelfConsistency {
                    samples: self.n,
                    concurrency: self.concurrency,
                    sampling,
                    ..Default::default()
                })
            }
            StrategyName::Adaptive => StrategyConfig::AdaptiveConsistency(AdaptiveConsistency {
                max_samples: self.n,
                wave: self.wave,
                sampling,
                ..Default::default()
            }),
            StrategyName::BestOfN => StrategyConfig::BestOfN(BestOfN {
                candidates: self.n,
                concurrency: self.concurrency,
                sampling,
                judge: match self.judge {
                    JudgeName::Model => Judge::default(),
                    JudgeName::Verifier => Judge::Verifier,
                },
                ..Default::default()
            }),
            StrategyName::Tot | StrategyName::TotDfs => {
                let search = if self.strategy == StrategyName::Tot {
                    Search::Beam { width: self.width }
                } else {
                    Search::DepthFirst { threshold: self.threshold, max_states: 12 }
                };
                StrategyConfig::TreeOfThoughts(TreeOfThoughts {
                    search,
                    depth: self.depth,
                    proposals: self.proposals,
                    generator: if self.generator == "sample" {
                        Generator::Sample
                    } else {
                        Generator::Propose
                    },
                    evaluator: Evaluator::Value { samples: self.value_samples, max_tokens: 160 },
                    concurrency: self.concurrency,
                    sampling,
                    ..Default::default()
                })
            }
            StrategyName::Allocate => {
                let rung = if self.models.escalate_url.is_some() {
                    Rung::Model { tier: 1, samples: self.escalate_samples }
                } else {
                    Rung::MoreSamples { samples: self.n.saturating_sub(self.wave).max(1) }
                };
                StrategyConfig::AdaptiveAllocation(AdaptiveAllocation {
                    first_wave: self.wave,
                    ladder: vec![rung],
                    concurrency: self.concurrency,
                    sampling,
                    ..Default::default()
                })
            }
            StrategyName::Refine => StrategyConfig::SelfRefine(SelfRefine {
                rounds: self.rounds,
                sampling,
                ..Default::default()
            }),
        }
    }
}
