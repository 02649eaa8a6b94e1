//! Tree of Thoughts (Yao et al. 2023): search over partial solutions, one step at a time.
//!
//! A state is the path of steps from the root. Each expansion asks the model for next steps —
//! several in one call (`propose`: a [`NodeKind::Proposal`] node whose steps hang beside it) or
//! one per call (`sample`) — and an evaluator scores the new states: each on its own (`value`:
//! sure / likely / impossible, averaged over samples) or against its siblings (`vote`). Breadth-
//! first beam search keeps the best `width` states per depth; depth-first search follows the best
//! state first, prunes states below a threshold and backtracks from dead ends. At the depth limit
//! the model states the final answer from the steps. Every step, score, prune and backtrack is an
//! event, and pruned states stay in the trace, marked.

use std::collections::HashMap;

use super::sampling::choice_plans;
use super::thoughts::{Frame, proposed_steps};
use super::{Strategy, ValidationContext};
use crate::error::{Error, Result};
use crate::event::{NodeId, NodeKind};
use crate::model::{Message, Model, Request};
use crate::run::{BranchPlan, Run, Step, Verdict};
use crate::state::NodeStatus;

mod config;
mod scoring;
mod search;

pub use config::{Evaluator, Generator, Search, TreeOfThoughts};
use scoring::{step_texts, steps_to, value_scores, vote_scores};

/// Upper bounds that keep one run's tree to a size people can read and afford.
const MAX_DEPTH: u32 = 10;
const MAX_FAN_OUT: u32 = 20;

impl Strategy for TreeOfThoughts {
    fn name(&self) -> &'static str {
        "treeOfThoughts"
    }

    fn validate(&self, _context: &ValidationContext<'_>) -> Result<()> {
        let within = |field: &str, value: u32, max: u32| {
            if (1..=max).contains(&value) {
                Ok(())
            } else {
                Err(Error::config(
                    format!("treeOfThoughts.{field}"),
                    format!("must be between 1 and {max}"),
                ))
            }
        };
        within("depth", self.depth, MAX_DEPTH)?;
        within("proposals", self.proposals, MAX_FAN_OUT)?;
        super::validate_concurrency("treeOfThoughts.concurrency", self.concurrency)?;
        match self.search {
            Search::Beam { width } => within("search.width", width, MAX_FAN_OUT)?,
            Search::DepthFirst { threshold, max_states } => {
                if !(0.0..=1.0).contains(&threshold) {
                    return Err(Error::config(
                        "treeOfThoughts.search.threshold",
                        "must be between 0 and 1",
                    ));
                }
                within("search.maxStates", max_states, 200)?;
            }
        }
        let (Evaluator::Value { samples, max_tokens } | Evaluator::Vote { samples, max_tokens }) =
            self.evaluator;
        within("evaluator.samples", samples, MAX_FAN_OUT)?;
        within("evaluator.maxTokens", max_tokens, 8192)?;
        self.sampling.validate("treeOfThoughts.sampling")
    }

    async fn execute<M: Model>(&self, run: &mut Run<'_, M>) -> Verdict {
        match self.search {
            Search::Beam { width } => search::beam(self, run, width as usize).await,
            Search::DepthFirst { threshold, max_states } => {
                search::depth_first(self, run, threshold, max_states).await
            }
        }
    }
}

/// The score of a state no evaluation gave a verdict on: below "likely", above "impossible".
pub(crate) const NO_VERDICT: f64 = 0.25;

impl TreeOfThoughts {
    /// The frame of templates for the state `at` (`None`: the root).
    fn frame<'s, M: Model>(&'s self, run: &'s Run<'_, M>, at: Option<NodeId>) -> Frame<'s> {
        let task = run.task();
        Frame {
            question: run.transcript(),
            initial: self.initial_state.as_deref().unwrap_or(task.question()),
            instruction: task.format_instruction(),
            preset: self.prompts.preset,
            steps: steps_to(run.state(), at),
        }
    }

    fn request(&self, prompt: String, temperature: f32, max_tokens: u32, n: u32) -> Request {
        let messages = vec![Message::user(prompt)];
        let mut request = self.sampling.request(messages, temperature, 0).max_tokens(max_tokens);
        request.n = n;
        request
    }

    /// Expands `states`: asks for next steps and returns the new states, per parent.
    async fn expand<M: Model>(
        &self,
        run: &mut Run<'_, M>,
        states: &[Option<NodeId>],
    ) -> Vec<(Option<NodeId>, Vec<NodeId>)> {
        let templates = self.prompts.templates();
        let max_n = run.capabilities().max_n;
        let mut plans = Vec::new();
        for &state in states {
            let frame = self.frame(run, state);
            let (kind, label, template, count) = match self.generator {
                Generator::Propose => (NodeKind::Proposal, "propose", templates.propose, 1),
                Generator::Sample => (NodeKind::Thought, "step", templates.sample, self.proposals),
            };
            let prompt = frame.fill(template, self.proposals, &[]);
            let request = self.request(prompt, 0.7, self.sampling.max_tokens, 1);
            let plan = BranchPlan::new(kind, label, request).under(state);
            plans.extend(split(&plan, count, max_n));
        }
        let started = run.drive(plans, self.concurrency as usize, |_, _| Step::Continue).await;
        let mut groups: Vec<(Option<NodeId>, Vec<NodeId>)> =
            states.iter().map(|&s| (s, Vec::new())).collect();
        for id in started {
            let Some(node) = run.state().node(id).filter(|n| n.status == NodeStatus::Done) else {
                continue;
            };
            let (parent, kind, text) = (node.parent, node.kind, node.text.clone());
            let new_states = match kind {
                NodeKind::Proposal => proposed_steps(&text, self.proposals as usize)
                    .iter()
                    .map(|step| run.record_node(parent, NodeKind::Thought, "step", step, id))
                    .collect(),
                _ if !text.trim().is_empty() => vec![id],
                _ => {
                    run.journal().prune(id, "an empty step");
                    Vec::new()
                }
            };
            if let Some(group) = groups.iter_mut().find(|(p, _)| *p == parent) {
                group.1.extend(new_states);
            }
        }
        groups
    }

    /// Scores the new states of each group; returns every state's score.
    async fn evaluate<M: Model>(
        &self,
        run: &mut Run<'_, M>,
        groups: &[(Option<NodeId>, Vec<NodeId>)],
    ) -> HashMap<NodeId, f64> {
        let templates = self.prompts.templates();
        let max_n = run.capabilities().max_n;
        let mut plans = Vec::new();
        let (Evaluator::Value { samples, max_tokens } | Evaluator::Vote { samples, max_tokens }) =
            self.evaluator;
        let temperature = if samples > 1 { 0.7 } else { 0.0 };
        for (parent, states) in groups {
            match self.evaluator {
                Evaluator::Value { .. } => {
                    for &state in states {
                        let prompt = self.frame(run, Some(state)).fill(templates.value, 0, &[]);
                        let request = self.request(prompt, temperature, max_tokens, 1);
                        let plan = BranchPlan::new(NodeKind::Evaluation, "value", request);
                        plans.extend(split(&plan.under(Some(state)), samples, max_n));
                    }
                }
                Evaluator::Vote { .. } if states.len() > 1 => {
                    let texts = step_texts(run.state(), states);
                    let candidates: Vec<&str> = texts.iter().map(String::as_str).collect();
                    let prompt = self.frame(run, *parent).fill(templates.vote, 0, &candidates);
                    let request = self.request(prompt, temperature, max_tokens, 1);
                    let plan = BranchPlan::new(NodeKind::Evaluation, "vote", request);
                    plans.extend(split(&plan.under(*parent), samples, max_n));
                }
                Evaluator::Vote { .. } => {}
            }
        }
        run.drive(plans, self.concurrency as usize, |_, _| Step::Continue).await;
        let mut scores = HashMap::new();
        for (parent, states) in groups {
            let found = match self.evaluator {
                Evaluator::Value { .. } => value_scores(run.state(), states),
                Evaluator::Vote { samples, .. } => {
                    vote_scores(run.state(), *parent, states, samples)
                }
            };
            for (state, score, by) in found {
                run.journal().score(state, score, by);
                scores.insert(state, score);
            }
        }
        scores
    }

    /// Asks for the final answer at each of `leaves`; returns the answer nodes.
    async fn answer<M: Model>(
        &self,
        run: &mut Run<'_, M>,
        leaves: &[Option<NodeId>],
    ) -> Vec<NodeId> {
        let template = self.prompts.templates().answer;
        let plans: Vec<BranchPlan> = leaves
            .iter()
            .map(|&leaf| {
                let prompt = self.frame(run, leaf).fill(template, 0, &[]);
                let request = self.request(prompt, 0.0, self.sampling.max_tokens, 1);
                BranchPlan::new(NodeKind::Sample, "answer", request).under(leaf)
            })
            .collect();
        let answers = run.drive(plans, self.concurrency as usize, |_, _| Step::Continue).await;
        if let Some(verifier) = run.verifier() {
            let question = run.task().question();
            for &id in &answers {
                let score = run
                    .state()
                    .node(id)
                    .filter(|n| n.status == NodeStatus::Done)
                    .and_then(|n| verifier.score(question, n));
                if let Some(score) = score {
                    run.journal().score(id, score, None);
                }
            }
        }
        answers
    }
}

/// `count` choices of `plan`'s request as its nodes, numbered when more than one.
fn split(plan: &BranchPlan, count: u32, max_n: u32) -> Vec<BranchPlan> {
    choice_plans(plan, 0..count, max_n, count > 1)
}
