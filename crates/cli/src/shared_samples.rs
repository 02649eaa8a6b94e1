//! One set of samples judged several ways: [`SharedSamples`] keeps every response a model gave
//! and [`Replaying`] serves them again to the next strategy that asks the same thing, so that
//! `thinkscale eval --compare-selection` compares vote, clusters and universal
//! self-consistency on *the same* samples rather than on three independent draws.
//!
//! A request is identified by its whole content (messages, sampling settings and `n`) and by how
//! many identical requests this run has made before it: the k-th such request of every run gets
//! the k-th response. Strategies that sample alike therefore see the same replies, while a request
//! nobody made before — a selector's prompt — goes to the real model. Failed requests are not
//! kept: the next run asks the model again.

use std::collections::HashMap;
use std::sync::Mutex;

use futures::{Stream, StreamExt};
use thinkscale_engine::model::{Capabilities, Chunk, Model, ModelError, Request, Response};

/// Every response given so far, by request and by its place among identical requests.
#[derive(Debug, Default)]
pub(crate) struct SharedSamples {
    responses: Mutex<HashMap<(String, usize), Response>>,
}

impl SharedSamples {
    /// A view for one run: `model` answers what has not been answered before.
    pub(crate) fn replaying<'a, M: Model>(&'a self, model: &'a M) -> Replaying<'a, M> {
        Replaying { model, shared: self, asked: Mutex::new(HashMap::new()) }
    }

    fn get(&self, key: &(String, usize)) -> Option<Response> {
        self.responses.lock().ok()?.get(key).cloned()
    }

    fn keep(&self, key: (String, usize), response: Response) {
        if let Ok(mut responses) = self.responses.lock() {
            responses.insert(key, response);
        }
    }
}

/// One run's view of [`SharedSamples`]: a model that replays kept responses in order.
pub(crate) struct Replaying<'a, M> {
    model: &'a M,
    shared: &'a SharedSamples,
    /// How many times this run has made each request.
    asked: Mutex<HashMap<String, usize>>,
}

impl<M: Model> Replaying<'_, M> {
    /// The request's identity: its content, and how often this run asked it before.
    fn key_of(&self, request: &Request) -> (String, usize) {
        // Serialising is the simplest complete identity of a request (every field that could
        // change the reply is in it); it is only ever compared, never read back.
        let content = serde_json::to_string(request).unwrap_or_default();
        let mut asked = self.asked.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = asked.entry(content.clone()).or_default();
        let key = (content, *count);
        *count += 1;
        key
    }
}

impl<M: Model> Model for Replaying<'_, M> {
    fn stream(&self, request: Request) -> impl Stream<Item = Result<Chunk, ModelError>> + Send {
        let key = self.key_of(&request);
        match self.shared.get(&key) {
            Some(kept) => futures::stream::iter([Ok(Chunk::Done(kept))]).left_stream(),
            None => {
                let shared = self.shared;
                self.model
                    .stream(request)
                    .inspect(move |item| {
                        if let Ok(Chunk::Done(response)) = item {
                            shared.keep(key.clone(), response.clone());
                        }
                    })
                    .right_stream()
            }
        }
    }

    fn capabilities(&self) -> Capabilities {
        self.model.capabilities()
    }

    fn id(&self) -> &str {
        self.model.id()
    }

    fn thinking_tokens(&self, request: &Request) -> u64 {
        self.model.thinking_tokens(request)
    }

    fn tiers(&self) -> u32 {
        self.model.tiers()
    }

    fn tier_id(&self, tier: u32) -> &str {
        self.model.tier_id(tier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use thinkscale_engine::prelude::*;
    use thinkscale_engine::testing::ScriptedModel;

    #[tokio::test]
    async fn a_second_strategy_sees_the_first_ones_samples_and_new_prompts_reach_the_model() {
        let model = ScriptedModel::cycling(["The answer is: 1", "The answer is: 2", "Response 2"]);
        let shared = SharedSamples::default();
        let strategy = SelfConsistency { samples: 2, concurrency: 1, ..Default::default() };
        let task = Task::new("Which?");
        let first =
            Runner::new(&shared.replaying(&model)).run(&strategy, &task, &mut NullSink).await;
        let again =
            Runner::new(&shared.replaying(&model)).run(&strategy, &task, &mut NullSink).await;
        assert_eq!(model.requests().len(), 2, "the second run asked the model nothing");
        let votes = |o: &Outcome| o.votes.iter().map(|t| t.answer.key.clone()).collect::<Vec<_>>();
        assert_eq!(votes(&first.unwrap()), votes(&again.unwrap()));
        let judge = Direct::default();
        Runner::new(&shared.replaying(&model)).run(&judge, &task, &mut NullSink).await.unwrap();
        assert_eq!(model.requests().len(), 3, "a request nobody made before goes to the model");
    }
}
