//! The inputs: the question (with example questions) and a number field. (The provider settings
//! are in `provider_panel`, the strategy picker in `strategy_picker`.)

use leptos::prelude::*;

/// Example questions: simple sums the built-in model sometimes gets wrong and a vote often fixes,
/// a question with a text answer (voted on as text), an open request (its replies are
/// clustered), and harder ones that show why more compute or a stronger model is needed.
pub const EXAMPLES: [(&str, &str); 7] = [
    ("7 + 8", "What is 7 + 8? Give the final answer as a number."),
    ("6 + 9", "What is 6 + 9? Give the final answer as a number."),
    ("23 + 48", "What is 23 + 48? Give the final answer as a number."),
    (
        "word problem",
        "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?",
    ),
    ("capital", "What is the capital of Australia?"),
    ("haiku", "Write a haiku about autumn."),
    (
        "Game of 24",
        "Use the numbers 4 9 10 13 and + - * / to make 24, each number exactly once. Give the expression.",
    ),
];

/// The question box with its examples.
#[component]
pub fn QuestionBox(
    /// The question being edited.
    question: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label class="question">
            <span>"Question"</span>
            <textarea
                rows="2"
                prop:value=move || question.get()
                on:input=move |ev| question.set(event_target_value(&ev))
            ></textarea>
        </label>
        <div class="examples" role="group" aria-label="Example questions">
            {EXAMPLES
                .iter()
                .map(|(name, text)| {
                    view! {
                        <button type="button" on:click=move |_| question.set((*text).to_owned())>
                            {*name}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// A labelled number input whose value is clamped to its range.
#[component]
pub(crate) fn NumberField(
    /// The input's id.
    id: String,
    /// Its label.
    label: &'static str,
    /// Smallest value, largest value, and the arrows' step.
    range: (f64, f64, f64),
    /// The current value.
    value: Signal<f64>,
    /// Receives a new value, clamped to the range.
    set: Callback<f64>,
) -> impl IntoView {
    let (min, max, step) = range;
    view! {
        <label for=id.clone()>{label}</label>
        <input
            id=id
            type="number"
            min=min
            max=max
            step=step
            prop:value=move || value.get().to_string()
            on:change=move |ev| {
                if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                    set.run(v.clamp(min, max))
                }
            }
        />
    }
}
