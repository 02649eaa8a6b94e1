//! The reasoning tree: every branch as it starts, its text streaming in, then its answer, tokens,
//! cost and time; failed, cancelled and pruned branches marked; a branch opens to its full text
//! and reasoning. Model output only ever becomes text nodes, never HTML, and a token costs work in
//! proportion to the token: the row's preview is kept incrementally (`streamed_text`) and the
//! full text grows by appending the new part to its text node (see [`StreamedPre`]).

use leptos::prelude::*;
use thinkscale_engine::NodeKind;
use thinkscale_engine::state::NodeStatus;

use crate::live::{BranchView, LiveRun};
use crate::streamed_pre::StreamedPre;
use crate::streamed_text::StreamedText;

/// Rows added per animation frame: a run that starts 64 branches at once shows them over a few
/// frames instead of blocking the page for one long task.
const ROWS_PER_FRAME: usize = 8;

fn status_name(status: NodeStatus) -> &'static str {
    match status {
        NodeStatus::Running => "running",
        NodeStatus::Done => "done",
        NodeStatus::Failed => "failed",
        NodeStatus::Cancelled => "cancelled",
    }
}

fn kind_name(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Sample => "sample",
        NodeKind::Judge => "judge",
        NodeKind::Thought => "thought",
        NodeKind::Proposal => "proposal",
        NodeKind::Evaluation => "evaluation",
        NodeKind::Draft => "draft",
        NodeKind::Critique => "critique",
        NodeKind::Revision => "revision",
        NodeKind::Selector => "selector",
    }
}

/// Seconds, for the row's timing.
fn seconds(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

#[component]
fn BranchRow(branch: BranchView, winner: Signal<Option<String>>) -> impl IntoView {
    let BranchView {
        id,
        label,
        depth,
        started_ms,
        status,
        text,
        reasoning,
        answer,
        tokens,
        cost_usd,
        finished_ms,
        note,
        score,
        abandoned,
        kind,
        ..
    } = branch;
    let key = move || answer.with(|a| a.as_ref().map(|a| a.key.clone()));
    let agrees = move || key().is_some() && key() == winner.get();
    let meta = move || {
        let mut parts = Vec::new();
        if let Some(end) = finished_ms.get() {
            parts.push(format!("{} tokens", tokens.get()));
            if let Some(cost) = cost_usd.get() {
                parts.push(format!("${cost:.5}"));
            }
            parts.push(seconds(end.saturating_sub(started_ms)));
        }
        if let Some(score) = score.get() {
            parts.push(format!("score {score:.2}"));
        }
        parts.join(" · ")
    };
    view! {
        <li
            class="branch"
            data-id=id.0
            data-status=move || status_name(status.get())
            data-kind=kind_name(kind)
            class:abandoned=move || abandoned.get()
            class:agrees=agrees
            style=format!("--depth: {depth}")
        >
            <details>
                <summary>
                    <span class="label">{label}</span>
                    <span class="status">{move || status_name(status.get())}</span>
                    <span class="answer">
                        {move || match (answer.get(), status.get()) {
                            (Some(a), _) => a.text,
                            (None, NodeStatus::Done) if kind.yields_answer() => "no answer".to_owned(),
                            _ => String::new(),
                        }}
                    </span>
                    <span class="meta">{meta}</span>
                    <span class="preview">{move || text.with(StreamedText::preview)}</span>
                    <Show when=move || note.with(Option::is_some)>
                        <span class="note">{move || note.get().unwrap_or_default()}</span>
                    </Show>
                </summary>
                <Show when=move || reasoning.with(|r| !r.is_empty())>
                    <h4>"Reasoning"</h4>
                    <StreamedPre class="reasoning" text=reasoning/>
                </Show>
                <StreamedPre class="text" text/>
            </details>
        </li>
    }
}

/// All branches of a run, children under their parents.
#[component]
pub fn ReasoningTree(
    /// The run.
    live: LiveRun,
) -> impl IntoView {
    let winner =
        Signal::derive(move || live.standings.with(|s| s.first().map(|t| t.answer.key.clone())));
    let shown = RwSignal::new(0_usize);
    Effect::new(move |_| {
        let total = live.branches.with(Vec::len);
        let now = shown.get();
        if now > total {
            shown.set(total);
        } else if now < total {
            // The frame may come after the view is gone: then there is nothing left to show.
            request_animation_frame(move || {
                if let Some(total) = live.branches.try_with_untracked(Vec::len) {
                    shown.try_update(|s| *s = (*s + ROWS_PER_FRAME).min(total));
                }
            });
        }
    });
    let rows = move || {
        let shown = shown.get();
        live.order.with(|order| {
            live.branches.with(|all| {
                order
                    .iter()
                    .take(shown)
                    .filter_map(|id| all.get(id.0 as usize).cloned())
                    .collect::<Vec<_>>()
            })
        })
    };
    // Busy while rows are still being revealed: assistive tech (and the tests) know the list is
    // not complete yet even when the run's status already says it is done.
    let revealing = move || shown.get() < live.branches.with(Vec::len);
    view! {
        <ol class="tree" aria-label="Reasoning branches" aria-busy=move || revealing().to_string()>
            <For each=rows key=|branch| (branch.epoch, branch.id) children=move |branch| view! { <BranchRow branch winner/> }/>
        </ol>
    }
}
