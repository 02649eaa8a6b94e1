//! The OpenAI chat-completions request body: the messages, sampling settings, `n`, the token
//! limit under the field the server expects, and `reasoning_effort`.

use serde_json::{Value, json};
use thinkscale_engine::model::{Effort, Reasoning, Request, Role};

/// Which field carries the output-token limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxTokensField {
    /// `max_tokens`: understood by nearly every compatible server.
    MaxTokens,
    /// `max_completion_tokens`: OpenAI's current name, required by its reasoning models.
    MaxCompletionTokens,
}

/// Maps a thinking budget to OpenAI's effort levels (OpenAI has no token budget).
fn effort_of(reasoning: Reasoning) -> Effort {
    match reasoning {
        Reasoning::Effort { level } => level,
        Reasoning::Budget { tokens } if tokens < 2048 => Effort::Low,
        Reasoning::Budget { tokens } if tokens < 8192 => Effort::Medium,
        Reasoning::Budget { .. } => Effort::High,
    }
}

/// The JSON body of a streamed chat-completions request.
pub(crate) fn body(
    model: &str,
    request: &Request,
    n: u32,
    max_tokens_field: MaxTokensField,
) -> String {
    let messages: Vec<Value> = request
        .messages
        .iter()
        .map(|m| {
            let role = match m.role {
                Role::System => "system",
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            json!({ "role": role, "content": m.content })
        })
        .collect();
    let mut body = json!({
        "model": model,
        "messages": messages,
        "stream": true,
        "stream_options": { "include_usage": true },
    });
    let fields = [
        ("n", (n > 1).then(|| json!(n))),
        ("temperature", request.temperature.map(|t| json!(t))),
        ("top_p", request.top_p.map(|p| json!(p))),
        ("seed", request.seed.map(|s| json!(s))),
        ("stop", (!request.stop.is_empty()).then(|| json!(request.stop))),
        ("logprobs", request.logprobs.then_some(json!(true))),
        (
            match max_tokens_field {
                MaxTokensField::MaxTokens => "max_tokens",
                MaxTokensField::MaxCompletionTokens => "max_completion_tokens",
            },
            request.max_tokens.map(|m| json!(m)),
        ),
        (
            "reasoning_effort",
            request.reasoning.map(|r| {
                json!(match effort_of(r) {
                    Effort::Low => "low",
                    Effort::Medium => "medium",
                    Effort::High => "high",
                })
            }),
        ),
    ];
    if let Some(object) = body.as_object_mut() {
        for (name, value) in fields {
            if let Some(value) = value {
                object.insert(name.to_owned(), value);
            }
        }
    }
    body.to_string()
}

#[cfg(test)]
mod tests {
    use thinkscale_engine::model::Message;

    use super::*;

    #[test]
    fn the_body_carries_only_the_fields_that_are_set() {
        let request = Request::new(vec![Message::user("hi")])
            .max_tokens(64)
            .seed(7)
            .reasoning(Reasoning::Budget { tokens: 9000 });
        let body: Value =
            serde_json::from_str(&body("m", &request, 3, MaxTokensField::MaxCompletionTokens))
                .expect("json");
        assert_eq!(body["n"], 3);
        assert_eq!(body["max_completion_tokens"], 64);
        assert_eq!(body["reasoning_effort"], "high");
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert!(body.get("temperature").is_none() && body.get("max_tokens").is_none());
    }
}
