//! The run at a glance: the vote chart (the leading answers and their weight, and how many more
//! there are), the budget meter (samples, tokens, dollars, seconds against the limits) and the
//! verdict (the answer and why the run stopped, in words).

use leptos::prelude::*;
use thinkscale_engine::{Limit, SettleRule, StopReason};

use crate::live::LiveRun;

/// Answers as bars, the leader first.
#[component]
pub fn VoteChart(
    /// The run.
    live: LiveRun,
) -> impl IntoView {
    let bars = move || {
        let standings = live.standings.get();
        let top = standings.iter().map(|s| s.weight).fold(0.0_f64, f64::max).max(f64::MIN_POSITIVE);
        standings
            .into_iter()
            .enumerate()
            .map(|(rank, standing)| {
                let width = format!("width: {:.1}%", 100.0 * standing.weight / top);
                view! {
                    <li class="vote" class:leader=rank == 0>
                        <span class="vote-answer">{standing.answer.text}</span>
                        <span class="bar" style=width></span>
                        <span class="vote-count">{standing.votes}</span>
                    </li>
                }
            })
            .collect_view()
    };
    // A vote spread wide lists its leaders only: say how many answers it does not list.
    let unlisted = move || {
        let listed = live.standings.with(Vec::len) as u32;
        live.answers.get().saturating_sub(listed)
    };
    view! {
        <section class="votes" aria-label="Votes">
            <h3>"Votes"</h3>
            <ol>{bars}</ol>
            <Show when=move || unlisted() != 0>
                <p class="more-answers">
                    {move || match unlisted() {
                        1 => "+1 more answer".to_owned(),
                        n => format!("+{n} more answers"),
                    }}
                </p>
            </Show>
            <Show when=move || live.standings.with(Vec::is_empty)>
                <p class="empty">"No answers yet."</p>
            </Show>
        </section>
    }
}

/// One meter: what was spent against its limit, if there is one.
fn meter(name: &'static str, spent: f64, limit: Option<f64>, unit: &'static str) -> impl IntoView {
    let shown = if unit == "$" { format!("${spent:.4}") } else { format!("{spent:.0}{unit}") };
    let text = match limit {
        Some(limit) if unit == "$" => format!("{shown} of ${limit:.4}"),
        Some(limit) => format!("{shown} of {limit:.0}{unit}"),
        None => shown,
    };
    view! {
        <div class="meter">
            <span class="meter-name">{name}</span>
            {limit.map(|max| view! { <meter min="0" max=max value=spent.min(max) aria-label=name></meter> })}
            <span class="meter-value">{text}</span>
        </div>
    }
}

/// Spending against the budget.
#[component]
pub fn BudgetMeter(
    /// The run.
    live: LiveRun,
) -> impl IntoView {
    view! {
        <section class="budget" aria-label="Budget">
            <h3>"Spent"</h3>
            {move || {
                let spend = live.spend.get();
                let budget = live.budget.get();
                let tokens = spend.prompt_tokens + spend.completion_tokens + spend.reasoning_tokens;
                let seconds = live.now_ms.get() as f64 / 1000.0;
                view! {
                    {meter("samples", spend.samples.into(), budget.max_samples.map(f64::from), "")}
                    {meter("tokens", tokens as f64, budget.max_tokens.map(|t| t as f64), "")}
                    {spend.cost_usd.map(|cost| meter("dollars", cost, budget.max_cost_usd, "$"))}
                    {meter("time", seconds, budget.max_wall_ms.map(|ms| ms as f64 / 1000.0), " s")}
                }
            }}
        </section>
    }
}

/// Why a run stopped, in words.
pub fn stop_words(stop: &StopReason) -> String {
    match stop {
        StopReason::Completed => "finished everything it planned".into(),
        StopReason::Settled { rule, detail } => match rule {
            SettleRule::Critique => format!("stopped early: {detail}"),
            SettleRule::Difficulty => format!("stopped early, the question looked easy ({detail})"),
            SettleRule::Beta | SettleRule::Window => {
                format!("stopped early, the vote was settled ({detail})")
            }
        },
        StopReason::Budget { limit } => format!(
            "stopped by the {} budget",
            match limit {
                Limit::Samples => "samples",
                Limit::Tokens => "tokens",
                Limit::Cost => "cost",
                Limit::WallTime => "time",
            }
        ),
        StopReason::Cancelled => "stopped by you".into(),
        StopReason::StoppedBySink => "stopped by the viewer".into(),
        StopReason::ModelFailed { error } => format!("the model failed: {error}"),
    }
}

/// The answer, with its agreement and why the run ended.
#[component]
pub fn Verdict(
    /// The run.
    live: LiveRun,
) -> impl IntoView {
    view! {
        <section class="verdict" aria-live="polite">
            {move || {
                live.outcome
                    .get()
                    .map(|outcome| {
                        let counted: u32 = outcome.votes.iter().map(|t| t.votes).sum();
                        // A free-form run's answer is the central reply of the biggest cluster:
                        // show that reply whole (as text), not only its first line.
                        let clustered = live.clusters.with(|c| {
                            c.first().is_some_and(|leader| Some(leader.central) == outcome.chosen)
                        });
                        let (noun, verb) =
                            if clustered { ("replies", "say much the same") } else { ("answers", "agree") };
                        let agreement = outcome
                            .votes
                            .first()
                            .map(|t| format!("{} of {counted} {noun} {verb}", t.votes))
                            .unwrap_or_default();
                        let reply = outcome.text.clone().filter(|_| clustered);
                        view! {
                            <p class="final">
                                "Answer: "
                                <output class="final-answer">
                                    {outcome.answer.map(|a| a.text).unwrap_or_else(|| "none".into())}
                                </output>
                            </p>
                            {reply.map(|text| view! { <blockquote class="final-reply">{text}</blockquote> })}
                            <p class="why">{agreement} " — " {stop_words(&outcome.stop)}</p>
                            {live.selection.get().map(|selection| {
                                let chosen = match selection.chosen {
                                    Some(id) => format!("The selector ({}) chose {id}", selection.by),
                                    None => format!("The selector ({}) chose none", selection.by),
                                };
                                view! {
                                    <p class="selection">{chosen} ": " {selection.reason}</p>
                                }
                            })}
                        }
                    })
            }}
        </section>
    }
}

/// An adaptive strategy's decisions: the difficulty it estimated, what it did, and why.
#[component]
pub fn Decisions(
    /// The run.
    live: LiveRun,
) -> impl IntoView {
    view! {
        <Show when=move || live.decisions.with(|d| !d.is_empty())>
            <section class="decisions" aria-label="Compute decisions">
                <h3>"Decisions"</h3>
                <ol>
                    {move || {
                        live.decisions
                            .get()
                            .into_iter()
                            .map(|d| {
                                view! {
                                    <li>
                                        <span class="difficulty">
                                            {format!("difficulty {:.2}", d.difficulty)}
                                        </span>
                                        " → "
                                        <strong class="action">{d.action}</strong>
                                        " ("
                                        {d.reason}
                                        ")"
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ol>
            </section>
        </Show>
    }
}
