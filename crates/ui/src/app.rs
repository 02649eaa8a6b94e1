//! The demo: question, strategy and model settings, the live run (or two side by side to
//! compare strategies), the status line with the model's download progress, the conversation
//! and its follow-up box, and the trace panel.

use leptos::callback::UnsyncCallback;
use leptos::prelude::*;
use std::sync::{Arc, Mutex};

use thinkscale_engine::model::Message;
use thinkscale_engine::{CancelToken, StopReason};

use crate::budget_picker::{BudgetPicker, BudgetSettings};

use crate::charts::{BudgetMeter, Decisions, Verdict, VoteChart, stop_words};
use crate::controls::QuestionBox;
use crate::conversation::{ConversationLog, FollowUp, assistant_turn};
use crate::live::LiveRun;
use crate::provider_panel::{ProviderPanel, ProviderSettings};
use crate::run::{ModelCache, Phase, RunControl, RunSpec, run, start};
use crate::strategy_picker::StrategyPicker;
use crate::strategy_settings::{Options, StrategyKind, StrategySettings};
use crate::trace_panel::TracePanel;

/// The stylesheet, inlined so that it also applies inside an embed's shadow root.
pub const STYLE: &str = include_str!("style.css");

/// Where the demo finds the built-in model's script and weights (relative to the page).
#[derive(Debug, Clone)]
pub struct Assets {
    /// The directory of `builtin.js` and its Worker.
    pub builtin: String,
    /// The weights' URL.
    pub model: String,
}

impl Default for Assets {
    fn default() -> Self {
        Self { builtin: "./builtin".into(), model: "./builtin/models/smollm2-135m.gguf".into() }
    }
}

/// One run's view: verdict, votes, budget and the tree.
#[component]
pub fn RunView(
    /// The run to show.
    live: LiveRun,
    /// A heading (the strategy, when two runs are compared).
    #[prop(optional)]
    title: Option<Signal<String>>,
) -> impl IntoView {
    view! {
        <section class="run">
            {title.map(|t| view! { <h2>{t}</h2> })}
            <Verdict live/>
            <Decisions live/>
            <div class="glance">
                <VoteChart live/>
                <BudgetMeter live/>
            </div>
            <ReasoningTreeView live/>
        </section>
    }
}

#[component]
fn ReasoningTreeView(live: LiveRun) -> impl IntoView {
    view! { <crate::tree::ReasoningTree live/> }
}

/// The status line: what is happening, the download's progress, errors with what to do.
#[component]
pub fn StatusLine(
    /// What the run is doing.
    phase: RwSignal<Phase>,
) -> impl IntoView {
    view! {
        <div class="status-line" role="status">
            {move || match phase.get() {
                Phase::Idle => view! { <span>"Ready. Pick a question and press Think."</span> }.into_any(),
                Phase::Loading { loaded, total } => {
                    let mb = |b: f64| format!("{:.0} MB", b / 1e6);
                    let text = match total {
                        Some(t) => format!("Downloading the model: {} of {}", mb(loaded), mb(t)),
                        None => format!("Downloading the model: {}", mb(loaded)),
                    };
                    view! {
                        <span>{text}</span>
                        <progress max=total.unwrap_or(0.0) value=loaded aria-label="Model download"></progress>
                    }
                        .into_any()
                }
                Phase::Running => view! { <span>"Thinking…"</span> }.into_any(),
                Phase::Replaying => view! { <span>"Replaying a trace…"</span> }.into_any(),
                Phase::Finished(stop) => view! { <span>"Done: " {stop_words(&stop)} "."</span> }.into_any(),
                Phase::Failed(message) => view! { <span class="error" role="alert">{message}</span> }.into_any(),
            }}
        </div>
    }
}

/// The side-by-side summary of two runs.
#[component]
fn CompareTable(a: LiveRun, b: LiveRun) -> impl IntoView {
    let row = move |live: LiveRun| {
        move || {
            live.outcome.get().map(|o| {
                let counted: u32 = o.votes.iter().map(|t| t.votes).sum();
                let agreement =
                    o.votes.first().map(|t| format!("{}/{}", t.votes, counted)).unwrap_or_default();
                let tokens =
                    o.spend.prompt_tokens + o.spend.completion_tokens + o.spend.reasoning_tokens;
                view! {
                    <tr>
                        <th scope="row">{live.strategy.get()}</th>
                        <td>{o.answer.map(|a| a.text).unwrap_or_else(|| "none".into())}</td>
                        <td>{agreement}</td>
                        <td>{tokens}</td>
                        <td>{format!("{:.1} s", o.spend.elapsed_ms as f64 / 1000.0)}</td>
                    </tr>
                }
            })
        }
    };
    view! {
        <table class="compare-table">
            <caption>"Compared"</caption>
            <thead>
                <tr><th scope="col">"strategy"</th><th scope="col">"answer"</th><th scope="col">"agreement"</th><th scope="col">"tokens"</th><th scope="col">"time"</th></tr>
            </thead>
            <tbody>{row(a)} {row(b)}</tbody>
        </table>
    }
}

/// The whole demo.
#[component]
pub fn App(
    /// Where the built-in model's files are.
    #[prop(optional)]
    assets: Option<Assets>,
    /// The question to start with.
    #[prop(optional_no_strip)]
    question: Option<String>,
    /// The strategy kind to start with.
    #[prop(optional_no_strip)]
    strategy: Option<String>,
) -> impl IntoView {
    let assets = assets.unwrap_or_default();
    let question =
        RwSignal::new(question.unwrap_or_else(|| crate::controls::EXAMPLES[0].1.to_owned()));
    let mut first = StrategySettings::default();
    if let Some(kind) = strategy {
        match StrategyKind::from_form(&kind) {
            Some(kind) => first.kind = kind,
            None => leptos::logging::warn!(
                "thinkscale: no strategy is called '{kind}'; starting with self-consistency"
            ),
        }
    }
    let strategy_a = RwSignal::new(first);
    let strategy_b = RwSignal::new(StrategySettings {
        kind: StrategyKind::ChainOfThought,
        samples: 1,
        ..Default::default()
    });
    let provider = RwSignal::new(ProviderSettings::load(&assets.model));
    let limits = RwSignal::new(BudgetSettings::default());
    let compare = RwSignal::new(false);
    let phase = RwSignal::new(Phase::Idle);
    let generation = RwSignal::new(0_u64);
    // Held outside reactive storage, so that cleanup can still reach it.
    let cancel = Arc::new(Mutex::new(CancelToken::new()));
    let models = ModelCache::default();
    let (live_a, live_b) = (LiveRun::new(), LiveRun::new());
    let busy =
        move || matches!(phase.get(), Phase::Running | Phase::Loading { .. } | Phase::Replaying);

    // The turns before the question: empty for a fresh question, longer with each follow-up.
    let history: RwSignal<Vec<Message>> = RwSignal::new(Vec::new());
    let cancel_run = Arc::clone(&cancel);
    let begin = move || {
        let asked = question.get();
        let (a, b) = (strategy_a.get().config(&asked), strategy_b.get().config(&asked));
        let token = CancelToken::new();
        if let Ok(mut current) = cancel_run.lock() {
            current.cancel();
            *current = token.clone();
        }
        generation.update(|g| *g += 1);
        let control = RunControl {
            cancel: token,
            models: models.clone(),
            generation,
            mine: generation.get_untracked(),
        };
        let spec = RunSpec {
            history: history.get(),
            question: question.get(),
            strategy: a,
            extractor: strategy_a.get().extractor(),
            budget: limits.get().budget(),
            provider: provider.get().choice(),
            assets: assets.builtin.clone(),
        };
        let second = compare.get().then(|| RunSpec {
            strategy: b,
            extractor: strategy_b.get().extractor(),
            ..spec.clone()
        });
        live_b.reset();
        start(async move {
            run(spec, live_a, phase, control.clone()).await;
            if let Some(spec) = second
                && !control.cancel.is_cancelled()
                && matches!(phase.try_get_untracked(), Some(Phase::Finished(_)))
            {
                run(spec, live_b, phase, control).await;
            }
        });
    };
    let begin_follow_up = begin.clone();
    let think = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        begin();
    };
    // A follow-up: the question just answered and its answer join the conversation, and the
    // follow-up is asked in it.
    let follow_up = UnsyncCallback::new(move |text: String| {
        let clustered = live_a.clusters.with_untracked(|c| c.first().map(|l| l.central));
        let answered = live_a.outcome.with_untracked(|o| {
            o.as_ref().and_then(|o| assistant_turn(o, clustered.is_some() && clustered == o.chosen))
        });
        if let Some(answer) = answered {
            let asked = question.get_untracked();
            history.update(|h| h.extend([Message::user(asked), Message::assistant(answer)]));
        }
        question.set(text);
        begin_follow_up();
    });
    let cancel_stop = Arc::clone(&cancel);
    let stop = move |_| {
        if let Ok(current) = cancel_stop.lock() {
            current.cancel();
        }
        // A live run reports its own stop; a replay just ends.
        if matches!(phase.get_untracked(), Phase::Replaying) {
            generation.update(|g| *g += 1);
            phase.set(Phase::Finished(StopReason::Cancelled));
        }
    };
    // The view going away stops whatever it was running.
    on_cleanup(move || {
        if let Ok(current) = cancel.lock() {
            current.cancel();
        }
        generation.try_update(|g| *g += 1);
    });
    let title_a = Signal::derive(move || live_a.strategy.get());
    let title_b = Signal::derive(move || live_b.strategy.get());
    view! {
        <div class="thinkscale">
            <style>{STYLE}</style>
            <header class="masthead">
                <h1>"thinkscale"</h1>
                <p>"Make a language model think longer — and watch it think."</p>
            </header>
            <form class="controls" on:submit=think>
                <ConversationLog history/>
                <QuestionBox question/>
                <div class="settings">
                    <StrategyPicker settings=strategy_a id="strategy-a"/>
                    <ProviderPanel settings=provider/>
                    <BudgetPicker settings=limits/>
                </div>
                <label class="compare-toggle">
                    <input type="checkbox" prop:checked=move || compare.get() on:change=move |ev| compare.set(event_target_checked(&ev))/>
                    "Compare with a second strategy"
                </label>
                <Show when=move || compare.get()>
                    <StrategyPicker settings=strategy_b id="strategy-b"/>
                </Show>
                <div class="actions">
                    <button type="submit" class="think" disabled=busy>"Think"</button>
                    <button type="button" class="stop" disabled=move || !busy() on:click=stop>"Stop"</button>
                </div>
            </form>
            <StatusLine phase/>
            <div class="runs" class:side-by-side=move || compare.get()>
                <RunView live=live_a title=title_a/>
                <Show when=move || compare.get()>
                    <RunView live=live_b title=title_b/>
                </Show>
            </div>
            <FollowUp live=live_a busy=Signal::derive(busy) ask=follow_up/>
            <Show when=move || compare.get() && live_b.outcome.with(Option::is_some)>
                <CompareTable a=live_a b=live_b/>
            </Show>
            <TracePanel live=live_a phase generation/>
        </div>
    }
}
