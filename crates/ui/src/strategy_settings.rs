//! The strategy settings a picker edits — votes over samples, a judge, tree search,
//! self-refinement, adaptive allocation, a reasoning model's own thinking — and how they become
//! the engine's plain strategy config. Free of the DOM, so it is tested natively.

use thinkscale_engine::{Extractor, StrategyConfig};

/// The strategies the picker offers: `(kind, name)`.
pub const KINDS: &[(&str, &str)] = &[
    ("selfConsistency", "Self-consistency (vote)"),
    ("adaptiveConsistency", "Adaptive consistency (stop when settled)"),
    ("bestOfN", "Best-of-N (a judge picks)"),
    ("treeOfThoughts", "Tree of Thoughts (search, prune, backtrack)"),
    ("selfRefine", "Self-refine (critique, revise)"),
    ("adaptiveAllocation", "Adaptive allocation (more only when hard)"),
    ("nativeReasoning", "Reasoning model (its own thinking)"),
    ("chainOfThought", "Chain of thought (one sample)"),
];

/// Most requests a run keeps in flight.
const MAX_IN_FLIGHT: u32 = 16;

/// A strategy and its parameters, as the picker edits them.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategySettings {
    /// The strategy's `kind` (`selfConsistency`, `treeOfThoughts`, …).
    pub kind: String,
    /// Samples (self-consistency), most samples (adaptive consistency and allocation) or
    /// candidates (best-of-N).
    pub samples: u32,
    /// Sampling temperature.
    pub temperature: f32,
    /// Most tokens per sample.
    pub max_tokens: u32,
    /// What the answer is: `number` or `text` (anything after "the answer is").
    pub answer: String,
    /// Adaptive consistency: samples per wave; adaptive allocation: the first wave.
    pub wave: u32,
    /// Adaptive consistency: how sure the Beta rule must be that the leader is the majority.
    pub threshold: f64,
    /// Tree of Thoughts: `beam` or `depthFirst`.
    pub search: String,
    /// Tree of Thoughts: states kept per step (beam).
    pub width: u32,
    /// Tree of Thoughts: steps before the answer.
    pub depth: u32,
    /// Tree of Thoughts: next steps proposed per state.
    pub proposals: u32,
    /// Tree of Thoughts: `general` or `game24` prompts.
    pub preset: String,
    /// Self-refine: most revisions.
    pub rounds: u32,
    /// Native reasoning: `low`, `medium` or `high` effort.
    pub effort: String,
}

impl Default for StrategySettings {
    fn default() -> Self {
        Self {
            kind: "selfConsistency".into(),
            samples: 8,
            temperature: 0.7,
            max_tokens: 128,
            answer: "number".into(),
            wave: 4,
            threshold: 0.95,
            search: "beam".into(),
            width: 3,
            depth: 3,
            proposals: 4,
            preset: "general".into(),
            rounds: 2,
            effort: "medium".into(),
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
    /// The engine's config for these settings, for `question`; the error says which parameter
    /// is wrong.
    pub fn config(&self, question: &str) -> Result<StrategyConfig, String> {
        let sampling =
            serde_json::json!({ "temperature": self.temperature, "maxTokens": self.max_tokens });
        // Requests in flight: a browser opens 6 connections per HTTP/1.1 host anyway, and the
        // built-in model batches up to 16 samples in one request.
        let concurrency = self.samples.min(MAX_IN_FLIGHT);
        let config = match self.kind.as_str() {
            "selfConsistency" => serde_json::json!({
                "kind": "selfConsistency", "samples": self.samples, "concurrency": concurrency, "sampling": sampling }),
            "adaptiveConsistency" => serde_json::json!({
                "kind": "adaptiveConsistency", "maxSamples": self.samples, "wave": self.wave,
                "rule": { "kind": "beta", "threshold": self.threshold }, "sampling": sampling }),
            "bestOfN" => serde_json::json!({
                "kind": "bestOfN", "candidates": self.samples, "concurrency": concurrency, "sampling": sampling }),
            "treeOfThoughts" => {
                let search = if self.search == "depthFirst" {
                    serde_json::json!({ "kind": "depthFirst" })
                } else {
                    serde_json::json!({ "kind": "beam", "width": self.width })
                };
                let initial = (self.preset == "game24").then(|| puzzle_numbers(question)).flatten();
                serde_json::json!({
                    "kind": "treeOfThoughts", "search": search, "depth": self.depth,
                    "proposals": self.proposals, "prompts": { "preset": self.preset },
                    "initialState": initial, "sampling": sampling, "concurrency": MAX_IN_FLIGHT })
            }
            "selfRefine" => serde_json::json!({
                "kind": "selfRefine", "rounds": self.rounds, "sampling": sampling }),
            "adaptiveAllocation" => serde_json::json!({
                "kind": "adaptiveAllocation", "firstWave": self.wave,
                "ladder": [{ "kind": "moreSamples", "samples": self.samples.saturating_sub(self.wave).max(1) }],
                "concurrency": concurrency, "sampling": sampling }),
            "nativeReasoning" => serde_json::json!({
                "kind": "nativeReasoning", "reasoning": { "kind": "effort", "level": self.effort },
                // Reasoning models spend hidden tokens before the answer: at least 4096.
                "sampling": { "maxTokens": self.max_tokens.max(4096) } }),
            _ => serde_json::json!({ "kind": "chainOfThought", "sampling": sampling }),
        };
        serde_json::from_value(config).map_err(|e| e.to_string())
    }

    /// Where the answer is found in a completion.
    pub fn extractor(&self) -> Extractor {
        if self.answer == "number" { Extractor::number() } else { Extractor::Auto }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_makes_a_valid_engine_config() {
        for (kind, _) in KINDS {
            let settings = StrategySettings { kind: (*kind).to_owned(), ..Default::default() };
            let config = settings.config("Use 4 9 10 13 to make 24").unwrap();
            assert_eq!(&thinkscale_engine::Strategy::name(&config), kind);
        }
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
