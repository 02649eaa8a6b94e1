//! The settings of a tree search — how it searches, generates and evaluates, and the
//! [`TreeOfThoughts`] config that holds them — apart from how it runs (`tree.rs`).

use serde::{Deserialize, Serialize};

use super::super::Sampling;
use super::super::thoughts::ThoughtPrompts;

/// How the tree is searched.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Search {
    /// Breadth-first: expand every state of the beam, keep the `width` best new states.
    Beam {
        /// States kept per depth. Default 5.
        #[serde(default = "default_width")]
        #[cfg_attr(feature = "typescript", ts(as = "Option<u32>", optional))]
        width: u32,
    },
    /// Depth-first: follow the best state first; prune states scored below `threshold`; back
    /// up from states with no viable next step, and from final answers the verifier rejects.
    DepthFirst {
        /// The lowest score a state may have and still be explored (values: sure 1, likely
        /// 0.5, impossible 0). Default 0.5.
        #[serde(default = "default_threshold")]
        #[cfg_attr(feature = "typescript", ts(as = "Option<f64>", optional))]
        threshold: f64,
        /// Most states to expand before giving up. Default 12.
        #[serde(default = "default_max_states")]
        #[cfg_attr(feature = "typescript", ts(as = "Option<u32>", optional))]
        max_states: u32,
    },
}

fn default_width() -> u32 {
    5
}
fn default_threshold() -> f64 {
    0.5
}
fn default_max_states() -> u32 {
    12
}

impl Search {
    /// Depth-first search with its defaults: threshold 0.5, at most 12 states expanded.
    pub fn depth_first() -> Self {
        Self::DepthFirst { threshold: default_threshold(), max_states: default_max_states() }
    }
}

/// How next steps are generated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Generator {
    /// One call lists up to `proposals` next steps (best when steps are short and distinct).
    #[default]
    Propose,
    /// `proposals` independent calls, one step each (best when steps are rich).
    Sample,
}

/// How new states are scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Evaluator {
    /// Each state on its own: sure (1), likely (0.5) or impossible (0), averaged over `samples`.
    Value {
        /// Evaluation calls per state. Default 1.
        #[serde(default = "one")]
        #[cfg_attr(feature = "typescript", ts(as = "Option<u32>", optional))]
        samples: u32,
        /// Most tokens per evaluation. Default 160.
        #[serde(default = "default_evaluation_tokens")]
        #[cfg_attr(feature = "typescript", ts(as = "Option<u32>", optional))]
        max_tokens: u32,
    },
    /// The siblings of an expansion against each other: a state's score is its share of
    /// `samples` votes.
    Vote {
        /// Vote calls per expansion. Default 3.
        #[serde(default = "three")]
        #[cfg_attr(feature = "typescript", ts(as = "Option<u32>", optional))]
        samples: u32,
        /// Most tokens per vote. Default 160.
        #[serde(default = "default_evaluation_tokens")]
        #[cfg_attr(feature = "typescript", ts(as = "Option<u32>", optional))]
        max_tokens: u32,
    },
}

fn one() -> u32 {
    1
}
fn three() -> u32 {
    3
}
fn default_evaluation_tokens() -> u32 {
    160
}

/// Search over steps of reasoning: propose, evaluate, keep the best, backtrack from dead ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct TreeOfThoughts {
    /// Beam or depth-first. Default: beam of 5.
    pub search: Search,
    /// Steps from the root to a final answer. Default 3 (the Game of 24's three combinations).
    pub depth: u32,
    /// Next steps asked for per state. Default 5.
    pub proposals: u32,
    /// Whether steps are proposed in one call or sampled one per call.
    pub generator: Generator,
    /// How states are scored. Default: one value call per state.
    pub evaluator: Evaluator,
    /// The root state (`{initial}`, and `{state}` before any step); default: the question.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_state: Option<String>,
    /// The templates.
    pub prompts: ThoughtPrompts,
    /// Sampling of proposals and answers (temperature: 0.7 for proposals, 0 for answers, unless
    /// set; maxTokens applies to both).
    pub sampling: Sampling,
    /// Most requests in flight. Default 4.
    pub concurrency: u32,
}

impl Default for TreeOfThoughts {
    fn default() -> Self {
        Self {
            search: Search::Beam { width: default_width() },
            depth: 3,
            proposals: 5,
            generator: Generator::Propose,
            evaluator: Evaluator::Value { samples: 1, max_tokens: default_evaluation_tokens() },
            initial_state: None,
            prompts: ThoughtPrompts::default(),
            sampling: Sampling { max_tokens: 256, ..Sampling::default() },
            concurrency: 4,
        }
    }
}
