//! The demo's conversation: the turns so far, shown above the question, and the follow-up box
//! under a finished run, which continues the conversation with the run's answer as the
//! assistant's turn. Every turn is shown as text.

use leptos::callback::UnsyncCallback;
use leptos::prelude::*;
use thinkscale_engine::Outcome;
use thinkscale_engine::model::{Message, Role};

use crate::live::LiveRun;

/// What the assistant said in a finished run, as the conversation's next turn: the chosen reply
/// whole when the run decided by clusters (free-form), else the answer (its text, not the
/// reasoning before it).
pub fn assistant_turn(outcome: &Outcome, clustered: bool) -> Option<String> {
    let answer = outcome.answer.as_ref().map(|a| a.text.clone());
    if clustered {
        outcome.text.clone().or(answer)
    } else {
        answer.or_else(|| outcome.text.clone())
    }
}

/// The turns before the question being asked, with a way to start over.
#[component]
pub fn ConversationLog(
    /// The turns so far (empty: a fresh question).
    history: RwSignal<Vec<Message>>,
) -> impl IntoView {
    view! {
        <Show when=move || history.with(|h| !h.is_empty())>
            <section class="conversation" aria-label="Conversation so far">
                <ol>
                    {move || {
                        history
                            .get()
                            .into_iter()
                            .map(|turn| {
                                let who = match turn.role {
                                    Role::User => "You",
                                    Role::Assistant => "thinkscale",
                                    Role::System => "System",
                                };
                                view! {
                                    <li class="turn" data-role=turn.role.name()>
                                        <span class="who">{who}</span>
                                        <span class="said">{turn.content}</span>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ol>
                <button type="button" class="new-conversation" on:click=move |_| history.set(Vec::new())>
                    "New conversation"
                </button>
            </section>
        </Show>
    }
}

/// Under a finished run with an answer: ask a follow-up. `ask` receives the follow-up text.
#[component]
pub fn FollowUp(
    /// The run just shown.
    live: LiveRun,
    /// Whether a run is in progress (asking waits for it).
    busy: Signal<bool>,
    /// Continues the conversation with this text.
    ask: UnsyncCallback<String>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let answered = move || live.outcome.with(|o| o.as_ref().is_some_and(|o| o.answer.is_some()));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let said = text.get_untracked();
        if !said.trim().is_empty() {
            text.set(String::new());
            ask.run(said);
        }
    };
    view! {
        <Show when=answered>
            <form class="follow-up" on:submit=submit>
                <label>
                    <span>"Follow up"</span>
                    <input
                        type="text"
                        placeholder="Ask a follow-up question…"
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))
                    />
                </label>
                <button type="submit" class="ask-follow-up" disabled=move || busy.get()>"Ask"</button>
            </form>
        </Show>
    }
}
