//! Self-refine (Madaan et al. 2023): draft an answer, critique it, revise it, for a few rounds or
//! until the critique finds nothing to fix.
//!
//! Every round is a node: the draft at the root, each critique under the answer it reviews, each
//! revision under the critique it answers. Unaided self-correction can make reasoning worse
//! (Huang et al. 2024), so by default the strategy keeps the best-scored version — scored by the
//! caller's verifier when there is one, else by the critique's own "Score: N/10" — rather than
//! simply the last.

use serde::{Deserialize, Serialize};

use super::{Sampling, Strategy, ValidationContext};
use crate::error::{Error, Result};
use crate::event::{NodeId, NodeKind, SettleRule, StopReason};
use crate::model::{Message, Model, Request};
use crate::prompt::{Prompting, parse_score, reasoning_messages, render};
use crate::run::{BranchPlan, Run, Step, Verdict};
use crate::state::{NodeStatus, RunState};

/// Which version a refinement returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Keep {
    /// The best-scored version (ties go to the earlier one).
    #[default]
    Best,
    /// The last version that finished.
    Last,
}

/// Draft, then critique and revise up to `rounds` times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct SelfRefine {
    /// Most revisions. Default 2.
    pub rounds: u32,
    /// Which version to return. Default: the best-scored.
    pub keep: Keep,
    /// Sampling of the draft and the revisions (temperature defaults to 0).
    pub sampling: Sampling,
    /// Trigger phrase and few-shot exemplars of the draft.
    pub prompting: Prompting,
    /// Most tokens per critique. Default 384.
    pub critique_tokens: u32,
    /// Replaces the critique prompt; `{question}` and `{answer}` are filled in. It should ask for
    /// `DONE` when nothing needs fixing and a last line `Score: N/10`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub critique_prompt: Option<String>,
}

impl Default for SelfRefine {
    fn default() -> Self {
        Self {
            rounds: 2,
            keep: Keep::Best,
            sampling: Sampling::default(),
            prompting: Prompting::default(),
            critique_tokens: 384,
            critique_prompt: None,
        }
    }
}

/// The default critique prompt.
pub const DEFAULT_CRITIQUE_PROMPT: &str = "Question:\n{question}\n\nProposed answer:\n{answer}\n\n\
Review the proposed answer step by step and point out concrete mistakes. If it is correct and \
complete, write DONE. Finish with a last line \"Score: <0-10>\" rating how likely it is correct.";

/// The most revisions a run may ask for.
const MAX_ROUNDS: u32 = 10;

impl Strategy for SelfRefine {
    fn name(&self) -> &'static str {
        "selfRefine"
    }

    fn validate(&self, _context: &ValidationContext<'_>) -> Result<()> {
        if self.rounds > MAX_ROUNDS {
            return Err(Error::config(
                "selfRefine.rounds",
                format!("must be at most {MAX_ROUNDS}"),
            ));
        }
        if self.critique_tokens == 0 {
            return Err(Error::config("selfRefine.critiqueTokens", "must be at least 1"));
        }
        self.sampling.validate("selfRefine.sampling")
    }

    async fn execute<M: Model>(&self, run: &mut Run<'_, M>) -> Verdict {
        let task = run.task();
        let asked = reasoning_messages(task, &self.prompting, false);
        let request = self.sampling.request(asked.clone(), 0.0, 0);
        let draft = BranchPlan::new(NodeKind::Draft, "draft", request);
        let mut current = finished(run, draft).await;
        let mut round = 0;
        while let Some(version) = current {
            let critique = self.critique_plan(run.state(), version, run.transcript());
            let Some(critique) = finished(run, critique).await else { break };
            self.score(run, version, critique);
            let review = run.state().node(critique).map(|n| n.text.clone()).unwrap_or_default();
            if says_done(&review) {
                let detail = format!("the critique of round {round} found nothing to fix");
                run.stop(StopReason::Settled { rule: SettleRule::Critique, detail });
                break;
            }
            if round == self.rounds {
                break;
            }
            round += 1;
            let revision = self.revision_plan(
                run.state(),
                (&asked, task.format_instruction()),
                version,
                critique,
                round,
            );
            current = finished(run, revision).await;
        }
        self.verdict(run.state())
    }
}

impl SelfRefine {
    fn critique_plan(&self, state: &RunState, version: NodeId, question: &str) -> BranchPlan {
        let answer = state.node(version).map(|n| n.text.as_str()).unwrap_or_default();
        let template = self.critique_prompt.as_deref().unwrap_or(DEFAULT_CRITIQUE_PROMPT);
        let prompt = render(template, &[("question", question), ("answer", answer)]);
        let request = Request::new(vec![Message::user(prompt)])
            .temperature(0.0)
            .max_tokens(self.critique_tokens);
        BranchPlan::new(NodeKind::Critique, "critique", request).under(Some(version))
    }

    fn revision_plan(
        &self,
        state: &RunState,
        (asked, instruction): (&[Message], &str),
        version: NodeId,
        critique: NodeId,
        round: u32,
    ) -> BranchPlan {
        let text = |id| state.node(id).map(|n| n.text.clone()).unwrap_or_default();
        let mut messages = asked.to_vec();
        messages.push(Message::assistant(text(version)));
        messages.push(Message::user(format!(
            "A reviewer wrote:\n{}\n\nRevise your answer to fix the problems the review points \
             out; keep what was right. {instruction}",
            text(critique)
        )));
        let request = self.sampling.request(messages, 0.0, round);
        BranchPlan::new(NodeKind::Revision, format!("revision {round}"), request)
            .under(Some(critique))
    }

    /// Scores `version`: with a verifier, by the verifier alone (its scale and the critique's
    /// must not be mixed); else by the critique's own score.
    fn score<M: Model>(&self, run: &mut Run<'_, M>, version: NodeId, critique: NodeId) {
        let question = run.task().question();
        let (score, by) = match run.verifier() {
            Some(verifier) => {
                (run.state().node(version).and_then(|node| verifier.score(question, node)), None)
            }
            None => {
                let review = run.state().node(critique).map(|n| n.text.as_str());
                (review.and_then(|text| parse_score(text, 10)), Some(critique))
            }
        };
        if let Some(score) = score {
            run.journal().score(version, score, by);
        }
    }

    fn verdict(&self, state: &RunState) -> Verdict {
        let mut versions = state.nodes.iter().filter(|n| {
            matches!(n.kind, NodeKind::Draft | NodeKind::Revision) && n.status == NodeStatus::Done
        });
        let chosen = match self.keep {
            Keep::Last => versions.next_back(),
            // Unscored versions rank below scored ones; ties go to the earlier version.
            Keep::Best => versions.rev().max_by(|a, b| {
                let score = |n: &crate::state::Node| n.score.unwrap_or(f64::NEG_INFINITY);
                score(a).total_cmp(&score(b))
            }),
        };
        Verdict {
            answer: chosen.and_then(|n| n.answer.clone()),
            chosen: chosen.map(|n| n.id),
            votes: Vec::new(),
        }
    }
}

/// Runs one call and returns its node if it finished.
async fn finished<M: Model>(run: &mut Run<'_, M>, plan: BranchPlan) -> Option<NodeId> {
    let started = run.drive(vec![plan], 1, |_, _| Step::Continue).await;
    let id = *started.first()?;
    run.state().node(id).filter(|n| n.status == NodeStatus::Done).map(|n| n.id)
}

/// Whether a critique says there is nothing to fix: `DONE` as a word of its own.
fn says_done(review: &str) -> bool {
    review.split(|c: char| !c.is_ascii_alphabetic()).any(|word| word == "DONE")
}
