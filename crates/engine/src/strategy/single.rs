//! One completion: a direct answer, a chain of thought (zero-shot or few-shot), or a reasoning
//! model's own thinking.

use serde::{Deserialize, Serialize};

use super::{Sampling, Strategy, ValidationContext};
use crate::error::{Error, Result};
use crate::event::NodeKind;
use crate::model::{Effort, Message, Model, Reasoning};
use crate::prompt::{Prompting, direct_messages, reasoning_messages};
use crate::run::{BranchPlan, Run, Step, Verdict};

/// Ask once for the answer alone: the cheapest baseline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Direct {
    /// Sampling (temperature defaults to 0).
    pub sampling: Sampling,
}

/// Ask once for step-by-step reasoning, then the answer (Wei et al. 2022; Kojima et al. 2022).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ChainOfThought {
    /// Sampling (temperature defaults to 0).
    pub sampling: Sampling,
    /// Trigger phrase and few-shot exemplars.
    pub prompting: Prompting,
}

/// Let a reasoning model think natively: one call with its reasoning setting — OpenAI
/// `reasoning_effort`, Anthropic thinking `budget_tokens`. The reasoning it shows (DeepSeek
/// `reasoning_content`, Anthropic thinking blocks, inline `<think>` blocks) becomes the branch's
/// reasoning, and hidden reasoning tokens count against the run's token budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct NativeReasoning {
    /// How much the model may think. Default: medium effort.
    pub reasoning: Reasoning,
    /// Sampling (temperature defaults to the provider's; `sampling.reasoning` is ignored).
    pub sampling: Sampling,
}

impl Default for NativeReasoning {
    fn default() -> Self {
        Self {
            reasoning: Reasoning::Effort { level: Effort::Medium },
            sampling: Sampling::default(),
        }
    }
}

impl Strategy for NativeReasoning {
    fn name(&self) -> &'static str {
        "nativeReasoning"
    }
    fn validate(&self, context: &ValidationContext<'_>) -> Result<()> {
        if let Reasoning::Budget { tokens } = self.reasoning
            && tokens < 1024
        {
            return Err(Error::config(
                "nativeReasoning.reasoning.tokens",
                "must be at least 1024 (Anthropic's smallest thinking budget)",
            ));
        }
        if !context.capabilities.reasoning {
            return Err(Error::Unsupported {
                model: context.model.to_owned(),
                feature: "reasoning settings (nativeReasoning needs a reasoning model: OpenAI \
                          o-series or gpt-5, Anthropic with thinking, DeepSeek; mark another \
                          OpenAI-compatible model with `reasoning: true`)"
                    .to_owned(),
            });
        }
        self.sampling.validate("nativeReasoning.sampling")
    }
    async fn execute<M: Model>(&self, run: &mut Run<'_, M>) -> Verdict {
        // Reasoning models think without being asked to; the question and its answer format.
        let prompting = Prompting { trigger: String::new(), ..Prompting::default() };
        let messages = reasoning_messages(run.task(), &prompting, false);
        let mut request = self.sampling.request(messages, 1.0, 0);
        request.temperature = self.sampling.temperature;
        request.reasoning = Some(self.reasoning);
        let plan = BranchPlan::new(NodeKind::Sample, "reasoning", request);
        let started = run.drive(vec![plan], 1, |_, _| Step::Continue).await;
        let chosen = started.first().copied();
        let answer = chosen.and_then(|id| run.state().node(id)).and_then(|n| n.answer.clone());
        Verdict { answer, chosen, votes: Vec::new() }
    }
}

/// Runs one completion of `messages` and returns its answer.
async fn single<M: Model>(
    run: &mut Run<'_, M>,
    messages: Vec<Message>,
    sampling: &Sampling,
    label: &str,
) -> Verdict {
    let plan = BranchPlan::new(NodeKind::Sample, label, sampling.request(messages, 0.0, 0));
    let started = run.drive(vec![plan], 1, |_, _| Step::Continue).await;
    let chosen = started.first().copied();
    let answer = chosen.and_then(|id| run.state().node(id)).and_then(|n| n.answer.clone());
    Verdict { answer, chosen, votes: Vec::new() }
}

impl Strategy for Direct {
    fn name(&self) -> &'static str {
        "direct"
    }
    fn validate(&self, _context: &ValidationContext<'_>) -> Result<()> {
        self.sampling.validate("direct.sampling")
    }
    async fn execute<M: Model>(&self, run: &mut Run<'_, M>) -> Verdict {
        let messages = direct_messages(run.task());
        single(run, messages, &self.sampling, "answer").await
    }
}

impl Strategy for ChainOfThought {
    fn name(&self) -> &'static str {
        "chainOfThought"
    }
    fn validate(&self, _context: &ValidationContext<'_>) -> Result<()> {
        self.sampling.validate("chainOfThought.sampling")
    }
    async fn execute<M: Model>(&self, run: &mut Run<'_, M>) -> Verdict {
        let messages = reasoning_messages(run.task(), &self.prompting, false);
        single(run, messages, &self.sampling, "chain of thought").await
    }
}
