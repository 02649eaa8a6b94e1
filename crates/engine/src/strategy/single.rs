//! One completion: a direct answer, or a chain of thought (zero-shot or few-shot).

use serde::{Deserialize, Serialize};

use super::{Sampling, Strategy, ValidationContext};
use crate::error::Result;
use crate::event::NodeKind;
use crate::model::{Message, Model};
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

/// Runs one completion of `messages` and returns its answer.
async fn single<M: Model>(
    run: &mut Run<'_, M>,
    messages: Vec<Message>,
    sampling: &Sampling,
    label: &str,
) -> Verdict {
    let plan = BranchPlan {
        kind: NodeKind::Sample,
        parent: None,
        label: label.to_owned(),
        first_number: None,
        request: sampling.request(messages, 0.0, 0),
    };
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
