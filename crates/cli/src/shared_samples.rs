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
//!
//! Kept in a file (`thinkscale eval --samples FILE`), the responses outlive the run: a benchmark
//! stopped half-way resumes where it was, and re-judging the same samples another way (another
//! similarity, another selector) costs no model calls.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::Mutex;

use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use thinkscale_engine::model::{Capabilities, Chunk, Model, ModelError, Request, Response};

/// Every response given so far, by request and by its place among identical requests.
#[derive(Debug, Default)]
pub(crate) struct SharedSamples {
    responses: Mutex<HashMap<(String, usize), Response>>,
    /// Where new responses are appended, one JSON line each.
    file: Option<Mutex<std::fs::File>>,
}

/// One line of a samples file.
#[derive(Serialize, Deserialize)]
struct KeptResponse {
    /// The request's identity (see [`Replaying::key_of`]).
    request: String,
    /// Its place among identical requests of one run.
    index: usize,
    response: Response,
}

impl SharedSamples {
    /// The responses kept in `path` (JSON lines), created if missing; new responses are appended.
    /// A last line cut off by a killed run is skipped (its request is asked again); any other
    /// line that does not read is an error naming it.
    pub(crate) fn in_file(path: &Path) -> Result<Self, String> {
        let shown = path.display();
        let mut responses = HashMap::new();
        // The bytes of whole lines: what a cut-off last line is truncated to before appending.
        let mut whole = 0;
        if path.exists() {
            let file = std::fs::File::open(path).map_err(|e| format!("{shown}: {e}"))?;
            let lines: Vec<String> = BufReader::new(file)
                .lines()
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{shown}: {e}"))?;
            let last = lines.len();
            for (number, line) in lines.iter().enumerate().map(|(i, l)| (i + 1, l)) {
                match serde_json::from_str::<KeptResponse>(line) {
                    Ok(kept) => {
                        responses.insert((kept.request, kept.index), kept.response);
                        whole += line.len() as u64 + 1;
                    }
                    Err(_) if number == last => {
                        eprintln!("{shown}:{number}: cut off, skipped (asked again)");
                    }
                    Err(e) => return Err(format!("{shown}:{number}: not a kept response: {e}")),
                }
            }
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("{shown}: {e}"))?;
        let length = file.metadata().map_err(|e| format!("{shown}: {e}"))?.len();
        if length > whole {
            file.set_len(whole).map_err(|e| format!("{shown}: {e}"))?;
        } else if length + 1 == whole {
            writeln!(file).map_err(|e| format!("{shown}: {e}"))?; // a whole last line, unended
        }
        Ok(Self { responses: Mutex::new(responses), file: Some(Mutex::new(file)) })
    }

    /// How many responses are kept.
    pub(crate) fn len(&self) -> usize {
        self.responses.lock().map_or(0, |r| r.len())
    }

    /// A view for one run: `model` answers what has not been answered before.
    pub(crate) fn replaying<'a, M: Model>(&'a self, model: &'a M) -> Replaying<'a, M> {
        Replaying { model, shared: self, asked: Mutex::new(HashMap::new()) }
    }

    fn get(&self, key: &(String, usize)) -> Option<Response> {
        self.responses.lock().ok()?.get(key).cloned()
    }

    fn keep(&self, key: (String, usize), response: Response) {
        if let Some(file) = &self.file {
            let kept =
                KeptResponse { request: key.0.clone(), index: key.1, response: response.clone() };
            // A response that cannot be written is only asked again next time: the run goes on.
            if let (Ok(line), Ok(mut file)) = (serde_json::to_string(&kept), file.lock()) {
                let _ = writeln!(file, "{line}");
            }
        }
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

    #[tokio::test]
    async fn samples_kept_in_a_file_answer_the_next_process_and_a_cut_off_line_is_asked_again() {
        let dir = std::env::temp_dir().join(format!("thinkscale-samples-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("samples.jsonl");
        let _ = std::fs::remove_file(&path);
        let strategy = SelfConsistency { samples: 3, concurrency: 1, ..Default::default() };
        let task = Task::new("Which?");
        let model = ScriptedModel::cycling(["The answer is: 1", "The answer is: 2"]);
        let first = {
            let shared = SharedSamples::in_file(&path).unwrap();
            Runner::new(&shared.replaying(&model)).run(&strategy, &task, &mut NullSink).await
        };
        assert_eq!(model.requests().len(), 3);
        let fresh = ScriptedModel::cycling(["The answer is: 9"]);
        let shared = SharedSamples::in_file(&path).unwrap();
        assert_eq!(shared.len(), 3, "every response was kept");
        let again =
            Runner::new(&shared.replaying(&fresh)).run(&strategy, &task, &mut NullSink).await;
        assert!(fresh.requests().is_empty(), "the second process asked the model nothing");
        assert_eq!(first.unwrap().answer, again.unwrap().answer);

        // A run killed mid-write leaves half a line: that response is asked again, the rest kept.
        let text = std::fs::read_to_string(&path).unwrap();
        let cut = text.trim_end().rfind('\n').unwrap() + 20;
        std::fs::write(&path, &text[..cut]).unwrap();
        let shared = SharedSamples::in_file(&path).unwrap();
        assert_eq!(shared.len(), 2);
        Runner::new(&shared.replaying(&fresh)).run(&strategy, &task, &mut NullSink).await.unwrap();
        assert_eq!(fresh.requests().len(), 1, "only the cut-off response was asked again");
        assert_eq!(
            SharedSamples::in_file(&path).unwrap().len(),
            3,
            "and the file reads whole again"
        );

        std::fs::write(&path, "not json\n{}\n").unwrap();
        let error = SharedSamples::in_file(&path).unwrap_err();
        assert!(error.contains("samples.jsonl:1: not a kept response"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
