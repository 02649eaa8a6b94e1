//! The strategy settings a picker edits — votes over samples, a judge, tree search,
//! self-refinement, adaptive allocation, a reasoning model's own thinking — and how they become
//! the engine's plain strategy config: typed values, built directly (the choices are the engine's
//! enums where it has them). Free of the DOM, so it is tested natively.

use thinkscale_engine::model::{Effort, Reasoning};
use thinkscale_engine::stopping::StopRule;
use thinkscale_engine::strategy::{PromptPreset, Rung, Sampling, Search, ThoughtPrompts};
use thinkscale_engine::{
    AdaptiveAllocation, AdaptiveConsistency, BestOfN, ChainOfThought, Extractor, NativeReasoning,
    SelfConsistency, SelfRefine, StrategyConfig, TreeOfThoughts, UniversalSelfConsistency,
};

/// The strategies the picker offers, in the order it lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrategyKind {
    /// [`SelfConsistency`].
    SelfConsistency,
    /// [`UniversalSelfConsistency`].
    UniversalSelfConsistency,
    /// [`AdaptiveConsistency`].
    AdaptiveConsistency,
    /// [`BestOfN`].
    BestOfN,
    /// [`TreeOfThoughts`].
    TreeOfThoughts,
    /// [`SelfRefine`].
    SelfRefine,
    /// [`AdaptiveAllocation`].
    AdaptiveAllocation,
    /// [`NativeReasoning`].
    NativeReasoning,
    /// [`ChainOfThought`].
    ChainOfThought,
}

/// What the answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerKind {
    /// Whatever the samples say: a number, a short text answer (voted on as text), or free-form
    /// replies (clustered). The default.
    Auto,
    /// A number, compared exactly.
    Number,
    /// Prose or code with no answer to extract: the replies themselves are clustered (or read
    /// by universal self-consistency's selector).
    FreeForm,
}

/// How a tree search goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKind {
    /// Breadth-first, keeping a beam.
    Beam,
    /// Depth-first, backtracking.
    DepthFirst,
}

/// The options of a choice the picker offers: each value, the word its `<select>` uses for it,
/// and what the reader sees.
pub trait Options: Copy + PartialEq + Send + Sync + 'static {
    /// `(value, form value, text)`, in the order listed.
    const OPTIONS: &'static [(Self, &'static str, &'static str)];

    /// The value a form value (or an embed's attribute) names.
    fn from_form(form: &str) -> Option<Self> {
        Self::OPTIONS.iter().find(|(_, f, _)| *f == form).map(|(value, ..)| *value)
    }

    /// The form value of `self`.
    fn form(self) -> &'static str {
        Self::OPTIONS.iter().find(|(value, ..)| *value == self).map_or("", |(_, form, _)| *form)
    }
}

impl Options for StrategyKind {
    const OPTIONS: &'static [(Self, &'static str, &'static str)] = &[
        (Self::SelfConsistency, "selfConsistency", "Self-consistency (vote)"),
        (
            Self::UniversalSelfConsistency,
            "universalSelfConsistency",
            "Universal self-consistency (a selector picks)",
        ),
        (
            Self::AdaptiveConsistency,
            "adaptiveConsistency",
            "Adaptive consistency (stop when settled)",
        ),
        (Self::BestOfN, "bestOfN", "Best-of-N (a judge picks)"),
        (Self::TreeOfThoughts, "treeOfThoughts", "Tree of Thoughts (search, prune, backtrack)"),
        (Self::SelfRefine, "selfRefine", "Self-refine (critique, revise)"),
        (
            Self::AdaptiveAllocation,
            "adaptiveAllocation",
            "Adaptive allocation (more only when hard)",
        ),
        (Self::NativeReasoning, "nativeReasoning", "Reasoning model (its own thinking)"),
        (Self::ChainOfThought, "chainOfThought", "Chain of thought (one sample)"),
    ];
}

impl Options for AnswerKind {
    const OPTIONS: &'static [(Self, &'static str, &'static str)] = &[
        (Self::Auto, "auto", "anything (vote or cluster)"),
        (Self::Number, "number", "a number"),
        (Self::FreeForm, "freeForm", "free-form (cluster the replies)"),
    ];
}

impl Options for SearchKind {
    const OPTIONS: &'static [(Self, &'static str, &'static str)] = &[
        (Self::Beam, "beam", "beam (breadth-first)"),
        (Self::DepthFirst, "depthFirst", "depth-first, backtracking"),
    ];
}

impl Options for PromptPreset {
    const OPTIONS: &'static [(Self, &'static str, &'static str)] =
        &[(Self::General, "general", "general"), (Self::Game24, "game24", "Game of 24")];
}

impl Options for Effort {
    const OPTIONS: &'static [(Self, &'static str, &'static str)] = &[
        (Self::Low, "low", "low"),
        (Self::Medium, "medium", "medium"),
        (Self::High, "high", "high"),
    ];
}

/// Most requests a run keeps in flight: a browser opens 6 connections per HTTP/1.1 host anyway,
/// and the built-in model batches up to 16 samples in one request.
const MAX_IN_FLIGHT: u32 = 16;

/// The fewest tokens a reasoning model's call may have: it spends hidden tokens before the
/// answer, and a smaller limit cuts it off before it answers.
const MIN_REASONING_TOKENS: u32 = 4096;

/// A strategy and its parameters, as the picker edits them.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategySettings {
    /// The strategy.
    pub kind: StrategyKind,
    /// Samples (self-consistency), most samples (adaptive consistency and allocation) or
    /// candidates (best-of-N).
    pub samples: u32,
    /// Sampling temperature.
    pub temperature: f32,
    /// Most tokens per sample.
    pub max_tokens: u32,
    /// What the answer is.
    pub answer: AnswerKind,
    /// Adaptive consistency: samples per wave; adaptive allocation: the first wave.
    pub wave: u32,
    /// Adaptive consistency: how sure the Beta rule must be that the leader is the majority.
    pub threshold: f64,
    /// Tree of Thoughts: how it searches.
    pub search: SearchKind,
    /// Tree of Thoughts: states kept per step (beam).
    pub width: u32,
    /// Tree of Thoughts: steps before the answer.
    pub depth: u32,
    /// Tree of Thoughts: next steps proposed per state.
    pub proposals: u32,
    /// Tree of Thoughts: which prompts.
    pub preset: PromptPreset,
    /// Self-refine: most revisions.
    pub rounds: u32,
    /// Native reasoning: the effort asked for.
    pub effort: Effort,
}

impl Default for StrategySettings {
    fn default() -> Self {
        Self {
            kind: StrategyKind::SelfConsistency,
            samples: 8,
            temperature: 0.7,
            max_tokens: 128,
            answer: AnswerKind::Auto,
            wave: 4,
            threshold: 0.95,
            search: SearchKind::Beam,
            width: 3,
            depth: 3,
            proposals: 4,
            preset: PromptPreset::General,
            rounds: 2,
            effort: Effort::Medium,
        }
    }
}

/// The Game of 24 numbers in `question` (its first four whole numbers), as the search's start.
fn puzzle_numbers(question: &str) -> Option<String> {
    let numbers: Vec<&str> = question
        .split(|c: char| !c.is_ascii_digit())
        .filter(|n| !n.is_empty() && *n != "24")
        .take(4)
        .collect();
    (numbers.len() == 4).then(|| numbers.join(" "))
}

impl StrategySettings {
    /// The engine's config for these settings, for `question` (the engine validates it before
    /// a run, naming the parameter at fault).
    pub fn config(&self, question: &str) -> StrategyConfig {
        let sampling = Sampling {
            temperature: Some(self.temperature),
            max_tokens: self.max_tokens,
            ..Sampling::default()
        };
        let concurrency = self.samples.min(MAX_IN_FLIGHT);
        match self.kind {
            StrategyKind::SelfConsistency => StrategyConfig::SelfConsistency(SelfConsistency {
                samples: self.samples,
                concurrency,
                sampling,
                ..SelfConsistency::default()
            }),
            StrategyKind::UniversalSelfConsistency => {
                StrategyConfig::UniversalSelfConsistency(UniversalSelfConsistency {
                    samples: self.samples,
                    concurrency,
                    sampling,
                    ..UniversalSelfConsistency::default()
                })
            }
            StrategyKind::AdaptiveConsistency => {
                StrategyConfig::AdaptiveConsistency(AdaptiveConsistency {
                    max_samples: self.samples,
                    wave: self.wave,
                    rule: StopRule::Beta { threshold: self.threshold, min_samples: 0 },
                    sampling,
                    ..AdaptiveConsistency::default()
                })
            }
            StrategyKind::BestOfN => StrategyConfig::BestOfN(BestOfN {
                candidates: self.samples,
                concurrency,
                sampling,
                ..BestOfN::default()
            }),
            StrategyKind::TreeOfThoughts => {
                let search = match self.search {
                    SearchKind::DepthFirst => Search::depth_first(),
                    SearchKind::Beam => Search::Beam { width: self.width },
                };
                // A level asks for a proposal (and values) per state kept.
                let states = match self.search {
                    SearchKind::DepthFirst => 1,
                    SearchKind::Beam => self.width,
                };
                let game24 = self.preset == PromptPreset::Game24;
                StrategyConfig::TreeOfThoughts(TreeOfThoughts {
                    search,
                    depth: self.depth,
                    proposals: self.proposals,
                    prompts: ThoughtPrompts { preset: self.preset, ..ThoughtPrompts::default() },
                    initial_state: game24.then(|| puzzle_numbers(question)).flatten(),
                    sampling,
                    concurrency: (states * self.proposals).clamp(1, MAX_IN_FLIGHT),
                    ..TreeOfThoughts::default()
                })
            }
            StrategyKind::SelfRefine => StrategyConfig::SelfRefine(SelfRefine {
                rounds: self.rounds,
                sampling,
                ..SelfRefine::default()
            }),
            StrategyKind::AdaptiveAllocation => {
                StrategyConfig::AdaptiveAllocation(AdaptiveAllocation {
                    first_wave: self.wave,
                    ladder: vec![Rung::MoreSamples {
                        samples: self.samples.saturating_sub(self.wave).max(1),
                    }],
                    concurrency,
                    sampling,
                    ..AdaptiveAllocation::default()
                })
            }
            StrategyKind::NativeReasoning => StrategyConfig::NativeReasoning(NativeReasoning {
                reasoning: Reasoning::Effort { level: self.effort },
                sampling: Sampling {
                    max_tokens: self.max_tokens.max(MIN_REASONING_TOKENS),
                    ..Sampling::default()
                },
            }),
            StrategyKind::ChainOfThought => StrategyConfig::ChainOfThought(ChainOfThought {
                sampling,
                ..ChainOfThought::default()
            }),
        }
    }

    /// Where the answer is found in a completion.
    pub fn extractor(&self) -> Extractor {
        match self.answer {
            AnswerKind::Number => Extractor::number(),
            AnswerKind::Auto => Extractor::Auto,
            AnswerKind::FreeForm => Extractor::FreeForm,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use thinkscale_engine::Strategy;
    use thinkscale_engine::model::Capabilities;
    use thinkscale_engine::strategy::ValidationContext;

    #[test]
    fn every_kind_makes_a_valid_engine_config_of_that_kind() {
        let context = ValidationContext {
            capabilities: Capabilities { reasoning: true, ..Capabilities::default() },
            model: "m",
            has_verifier: false,
            tiers: 1,
        };
        for &(kind, value, _) in StrategyKind::OPTIONS {
            for search in [SearchKind::Beam, SearchKind::DepthFirst] {
                let settings = StrategySettings { kind, search, ..Default::default() };
                let config = settings.config("Use 4 9 10 13 to make 24");
                assert_eq!(config.name(), value);
                config.validate(&context).unwrap();
            }
        }
    }

    #[test]
    fn every_choice_has_one_form_value_per_option() {
        fn distinct<T: Options>() {
            let values: std::collections::HashSet<_> = T::OPTIONS.iter().map(|o| o.1).collect();
            assert_eq!(values.len(), T::OPTIONS.len());
        }
        distinct::<StrategyKind>();
        distinct::<AnswerKind>();
        distinct::<SearchKind>();
        distinct::<PromptPreset>();
        distinct::<Effort>();
    }

    #[test]
    fn the_game24_preset_starts_from_the_questions_numbers() {
        assert_eq!(
            puzzle_numbers("Use the numbers 4 9 10 13 and + - * / to make 24").as_deref(),
            Some("4 9 10 13")
        );
        assert_eq!(puzzle_numbers("What is 7 + 8?"), None);
    }
}
