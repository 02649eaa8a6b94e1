//! Universal self-consistency (Chen et al. 2023): sample N replies, then one selector call reads
//! them all and names the most consistent. It needs no answer key, so it works for prose, code
//! and JSON as well as for numbers.
//!
//! The selector is a node of its own: it streams, is budgeted like any call, and its choice and
//! reason are a `selected` event. A selector that fails, or names no candidate (or one that does
//! not exist), is recorded as such and the samples' own vote — or clusters — decide instead:
//! nothing the samples did is lost.

use serde::{Deserialize, Serialize};

use super::self_consistency::VotingSettings;
use super::voting::{finished, verdict_of};
use super::{Sampling, SelfConsistency, Strategy, ValidationContext};
use crate::answer::Answer;
use crate::cluster::Aggregate;
use crate::error::{Error, Result};
use crate::event::{NodeId, NodeKind};
use crate::model::{Message, Model, Request};
use crate::prompt::{Prompting, render};
use crate::run::{BranchPlan, Run, Step, Verdict};
use crate::state::NodeStatus;
use crate::vote::Weighting;

/// The default selector prompt (after the paper's); `{question}` and `{responses}` are filled in.
pub const DEFAULT_SELECTOR_PROMPT: &str = "I have generated the following responses to the \
question:\n{question}\n\n{responses}\n\nEvaluate these responses. Select the most consistent \
response based on majority consensus. Start your answer with \"The most consistent response is \
Response X\" (without quotes), then say why in one or two sentences.";

/// Sample `samples` replies and let one selector call pick the most consistent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct UniversalSelfConsistency {
    /// How many samples. Default 8.
    pub samples: u32,
    /// Most requests in flight at once. Default 4.
    pub concurrency: u32,
    /// Sampling (temperature defaults to 0.7).
    pub sampling: Sampling,
    /// Trigger phrase and few-shot exemplars.
    pub prompting: Prompting,
    /// The selector's prompt; `{question}` and `{responses}` are filled in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector_prompt: Option<String>,
    /// Most tokens of the selector's reply. Default 256.
    pub selector_tokens: u32,
    /// Most characters of each reply shown to the selector (its end is kept, where answers are).
    /// Default 2000.
    pub reply_chars: u32,
}

impl Default for UniversalSelfConsistency {
    fn default() -> Self {
        Self {
            samples: 8,
            concurrency: 4,
            sampling: Sampling::default(),
            prompting: Prompting::default(),
            selector_prompt: None,
            selector_tokens: 256,
            reply_chars: 2000,
        }
    }
}

impl Strategy for UniversalSelfConsistency {
    fn name(&self) -> &'static str {
        "universalSelfConsistency"
    }

    fn validate(&self, context: &ValidationContext<'_>) -> Result<()> {
        VotingSettings {
            strategy: self.name(),
            samples_field: "samples",
            samples: self.samples,
            concurrency_field: "concurrency",
            concurrency: self.concurrency,
            sampling: &self.sampling,
            weighting: Weighting::Uniform,
        }
        .validate(context)?;
        if self.selector_tokens == 0 {
            return Err(Error::config(
                "universalSelfConsistency.selectorTokens",
                "must be at least 1",
            ));
        }
        if self.reply_chars < 100 {
            return Err(Error::config(
                "universalSelfConsistency.replyChars",
                "must be at least 100 (the selector must see enough of each reply)",
            ));
        }
        if let Some(prompt) = &self.selector_prompt
            && !prompt.contains("{responses}")
        {
            return Err(Error::config(
                "universalSelfConsistency.selectorPrompt",
                "must contain {responses}, where the replies go",
            ));
        }
        Ok(())
    }

    async fn execute<M: Model>(&self, run: &mut Run<'_, M>) -> Verdict {
        // The samples' own vote (or clusters) is shown as they finish, and decides if the
        // selector cannot.
        let sampler = SelfConsistency {
            samples: self.samples,
            concurrency: self.concurrency,
            sampling: self.sampling.clone(),
            prompting: self.prompting.clone(),
            weighting: Weighting::Uniform,
            aggregate: Aggregate::Auto,
        };
        let mut counting = sampler.sample(run).await;
        let fallback = verdict_of(counting.count(finished(run.state())));
        let candidates: Vec<NodeId> = finished(run.state()).map(|n| n.id).collect();
        if candidates.len() < 2 || run.is_stopped() {
            return fallback;
        }
        let plan = self.selector_plan(run, &candidates);
        let started = run.drive(vec![plan], 1, |_, _| Step::Continue).await;
        let Some(&selector) = started.first() else { return fallback };
        let Some(reply) = run
            .state()
            .node(selector)
            .filter(|n| n.status == NodeStatus::Done)
            .map(|n| n.text.clone())
        else {
            return fallback; // the selector failed or was cut off: its error is recorded
        };
        let chosen = read_choice(&reply).and_then(|k| candidates.get(k.checked_sub(1)?)).copied();
        let reason = match chosen {
            Some(_) => reason_of(&reply),
            None => format!(
                "named no candidate among responses 1–{}, so the samples' own vote decides: {}",
                candidates.len(),
                reason_of(&reply)
            ),
        };
        run.journal().select(selector, chosen, reason);
        let Some(chosen) = chosen else { return fallback };
        let node = run.state().node(chosen);
        let answer = node.and_then(|n| n.answer.clone()).or_else(|| {
            node.map(|n| {
                let line = n.text.trim().lines().next().unwrap_or_default().to_owned();
                Answer { text: line, key: format!("≈{chosen}") }.bounded()
            })
        });
        Verdict { answer, chosen: Some(chosen), votes: fallback.votes }
    }
}

impl UniversalSelfConsistency {
    /// The selector's call: the conversation's question and every finished reply, numbered.
    fn selector_plan<M: Model>(&self, run: &Run<'_, M>, candidates: &[NodeId]) -> BranchPlan {
        let limit = self.reply_chars as usize;
        let responses: Vec<String> = candidates
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let text = run.state().node(*id).map(|n| n.text.trim()).unwrap_or_default();
                format!("Response {}:\n{}", i + 1, tail(text, limit))
            })
            .collect();
        let template = self.selector_prompt.as_deref().unwrap_or(DEFAULT_SELECTOR_PROMPT);
        let responses = responses.join("\n\n");
        let prompt = render(template, &[("question", run.transcript()), ("responses", &responses)]);
        let request = Request::new(vec![Message::user(prompt)])
            .temperature(0.0)
            .max_tokens(self.selector_tokens);
        let label = format!("selector of {} replies", candidates.len());
        BranchPlan::new(NodeKind::Selector, label, request)
    }
}

/// The last `limit` characters of `text`, marked `…` when cut.
fn tail(text: &str, limit: usize) -> String {
    let count = text.chars().count();
    if count <= limit {
        return text.to_owned();
    }
    let kept: String = text.chars().skip(count - limit).collect();
    format!("…{kept}")
}

/// The response number a selector named: after "most consistent response is", else the first
/// "Response N" it wrote.
fn read_choice(reply: &str) -> Option<usize> {
    let lower = reply.to_lowercase();
    let after = |phrase: &str| lower.find(phrase).and_then(|at| lower.get(at + phrase.len()..));
    let named = after("most consistent response is").or_else(|| after("response"))?;
    let digits: String = named
        .trim_start_matches(|c: char| c.is_whitespace() || ":*#".contains(c))
        .trim_start_matches("response")
        .trim_start_matches(|c: char| c.is_whitespace() || ":*#".contains(c))
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The selector's reason, short: what it wrote, on one line, at most 300 characters.
fn reason_of(reply: &str) -> String {
    let flat = reply.split_whitespace().collect::<Vec<_>>().join(" ");
    Answer { text: flat, key: String::new() }.bounded().text.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_read_from_what_selectors_write() {
        assert_eq!(read_choice("The most consistent response is Response 3. Because"), Some(3));
        assert_eq!(read_choice("**The most consistent response is Response #2**"), Some(2));
        assert_eq!(read_choice("Response 4 agrees with most others."), Some(4));
        assert_eq!(read_choice("They all differ."), None);
        assert_eq!(read_choice("The most consistent response is unclear"), None);
    }

    #[test]
    fn long_replies_keep_their_end() {
        assert_eq!(tail("abcdef", 3), "…def");
        assert_eq!(tail("abc", 3), "abc");
    }
}
