//! [`HostileServer`]: a loopback server that misbehaves on purpose, in exactly the ways broken or
//! hostile servers were seen to (issue 13), so tests can prove that providers and everything
//! above them survive each one: events that never end, keep-alives without data, answers that
//! ignore `max_tokens`, pages that are not event streams, huge error messages, redirects,
//! streams cut after one choice finished, prompts too long for the context.
//!
//! It answers in the OpenAI chat-completions format (the provider most front ends use), whatever
//! the path, and records every request like the other servers of this crate.

mod openai;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use crate::http::{self, Log, Recorded};
use openai::{Asked, EventWriter, honest_text};

/// How a [`HostileServer`] answers one request. The texts it streams are ASCII; choice `i` of
/// request `r` (counted from 1 in arrival order) answers `Request r, choice i: the answer is 42.`
/// wherever a variant says it answers honestly.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Misbehaviour {
    /// No misbehaviour: a well-formed stream answering every choice of the request's `n`
    /// honestly (one delta and `finish_reason: "stop"` each), then `usage` and `[DONE]`.
    Honest,
    /// Status 200, `text/event-stream`, then `data:` lines of 1 KiB for ever without the blank
    /// line that would end the event, as fast as the client reads, until it hangs up.
    EndlessEvent,
    /// Status 200, `text/event-stream`, then only `: keep-alive` comments, one every `every`,
    /// never any data, until the client hangs up.
    KeepAliveOnly {
        /// The pause between two comments.
        every: Duration,
    },
    /// A stream that ignores `max_tokens`: every choice of the request's `n` streams `bytes`
    /// bytes of filler text (`lorem ipsum …`, no digits) in deltas of `delta_bytes` bytes,
    /// choices interleaved, then finishes with `"stop"`, `usage` and `[DONE]`. A `delta_bytes`
    /// of `bytes` or more sends each answer as one huge delta. See
    /// [`Misbehaviour::huge_answer`] and [`Misbehaviour::huge_delta`].
    HugeAnswer {
        /// The size of each choice's answer, in bytes.
        bytes: usize,
        /// The size of each delta, in bytes (at least 1).
        delta_bytes: usize,
    },
    /// Choice 0 answers honestly and finishes at once; the other choices of the request's `n`
    /// then stream one `more ` delta every `pause`, `deltas` times, before they answer honestly
    /// and finish. With `n = 1` this is [`Misbehaviour::Honest`].
    StaggeredChoices {
        /// The pause between two rounds of deltas of the slow choices.
        pause: Duration,
        /// How many rounds the slow choices stream before they finish.
        deltas: usize,
    },
    /// Choice 0 streams honestly to its finish; every other choice of the request's `n` streams
    /// the first half of its answer; then the connection is closed in the middle of the chunked
    /// body (no `[DONE]`, no final chunk) — a server that died mid-request.
    CutAfterFirstChoice,
    /// Status 200 with an HTML page (`text/html`), as a login wall, a proxy's error page or a
    /// web UI at the wrong URL would send.
    HtmlPage,
    /// Status 200, `application/json`, with an `error` object carrying `message` (some proxies
    /// and servers report failures this way).
    JsonErrorAt200 {
        /// The error's message.
        message: String,
    },
    /// Status 400, `application/json`, with an `error` object whose message is `bytes` bytes
    /// long (`E` repeated).
    HugeErrorMessage {
        /// The message's length in bytes.
        bytes: usize,
    },
    /// Answers `status` (e.g. 307) with `location: {location}` and an empty body.
    Redirect {
        /// The redirect status.
        status: u16,
        /// Where it points.
        location: String,
    },
    /// Status 200, `text/event-stream`: one honest-looking delta for choice 0, then an event
    /// holding an `error` object whose message is `bytes` bytes long (`E` repeated), then the
    /// body ends.
    MidStreamError {
        /// The message's length in bytes.
        bytes: usize,
    },
    /// llama.cpp's context-length refusal — status 400, `exceed_context_size_error` — for
    /// requests whose prompt (the `content` of every message plus `system`) is longer than
    /// `max_prompt_bytes`; others are answered honestly. One long prompt fails while its
    /// siblings succeed.
    ContextLength {
        /// The longest prompt answered, in bytes.
        max_prompt_bytes: usize,
    },
}

impl Misbehaviour {
    /// [`Misbehaviour::HugeAnswer`] in small deltas (4 bytes each, about one token).
    pub fn huge_answer(bytes: usize) -> Self {
        Self::HugeAnswer { bytes, delta_bytes: 4 }
    }

    /// [`Misbehaviour::HugeAnswer`] with each answer in one delta.
    pub fn huge_delta(bytes: usize) -> Self {
        Self::HugeAnswer { bytes, delta_bytes: bytes.max(1) }
    }
}

struct Shared {
    default: Misbehaviour,
    plan: Mutex<VecDeque<Misbehaviour>>,
    log: Log,
}

/// A misbehaving server on 127.0.0.1 (see [`Misbehaviour`]). Every request gets the next
/// planned misbehaviour ([`HostileServer::plan`]), else the one it was started with. Dropping it
/// stops it.
pub struct HostileServer {
    shared: Arc<Shared>,
    url: String,
    _server: http::Background,
}

impl HostileServer {
    /// Starts a server on a free port that answers every request with `behaviour` (unless a plan
    /// says otherwise).
    pub fn start(behaviour: Misbehaviour) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            default: behaviour,
            plan: Mutex::new(VecDeque::new()),
            log: Arc::default(),
        });
        let accept = Arc::clone(&shared);
        let (address, server) = http::spawn(move |listener: TcpListener| async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(handle(stream, Arc::clone(&accept)));
            }
        })?;
        Ok(Self { shared, url: format!("http://{address}"), _server: server })
    }

    /// Queues misbehaviours for the next requests, in order; later requests get the default.
    pub fn plan(&self, behaviours: impl IntoIterator<Item = Misbehaviour>) {
        if let Ok(mut plan) = self.shared.plan.lock() {
            plan.extend(behaviours);
        }
    }

    /// The server's root URL (`http://127.0.0.1:port`), for Anthropic's `base_url`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The API root for an OpenAI-compatible provider (`http://127.0.0.1:port/v1`).
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.url)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.log.lock().map(|log| log.clone()).unwrap_or_default()
    }
}

async fn handle(mut stream: TcpStream, shared: Arc<Shared>) {
    let Some(request) = http::read_request(&mut stream).await else { return };
    let asked = Asked::of(&request.body);
    let number = match shared.log.lock() {
        Ok(mut log) => {
            log.push(request);
            log.len()
        }
        Err(_) => 0,
    };
    let behaviour = shared
        .plan
        .lock()
        .ok()
        .and_then(|mut plan| plan.pop_front())
        .unwrap_or_else(|| shared.default.clone());
    // Write errors mean the client hung up, which ends the misbehaviour as well.
    let _ = misbehave(&mut stream, behaviour, &asked, number).await;
}

async fn misbehave(
    stream: &mut TcpStream,
    behaviour: Misbehaviour,
    asked: &Asked,
    number: usize,
) -> std::io::Result<()> {
    match behaviour {
        Misbehaviour::Honest => honest(stream, asked, number).await,
        Misbehaviour::EndlessEvent => {
            http::start_stream(stream, 200).await?;
            let line = format!("data: {}\n", "x".repeat(1023 - "data: ".len()));
            let burst = line.repeat(64);
            loop {
                http::write_chunk(stream, burst.as_bytes()).await?;
            }
        }
        Misbehaviour::KeepAliveOnly { every } => {
            http::start_stream(stream, 200).await?;
            loop {
                http::write_chunk(stream, b": keep-alive\n\n").await?;
                tokio::time::sleep(every).await;
            }
        }
        Misbehaviour::HugeAnswer { bytes, delta_bytes } => {
            http::start_stream(stream, 200).await?;
            let mut events = EventWriter::new(stream);
            openai::huge_answer(&mut events, asked, bytes, delta_bytes).await?;
            events.end().await
        }
        Misbehaviour::StaggeredChoices { pause, deltas } => {
            http::start_stream(stream, 200).await?;
            let mut events = EventWriter::new(stream);
            openai::staggered(&mut events, asked, number, pause, deltas).await?;
            events.end().await
        }
        Misbehaviour::CutAfterFirstChoice => {
            http::start_stream(stream, 200).await?;
            let mut events = EventWriter::new(stream);
            events.delta(0, &honest_text(number, 0)).await?;
            events.finish(0, "stop").await?;
            for choice in 1..asked.n {
                let text = honest_text(number, choice);
                events.delta(choice, text.get(..text.len() / 2).unwrap_or_default()).await?;
            }
            events.flush().await?;
            http::cut(stream).await;
            Ok(())
        }
        Misbehaviour::HtmlPage => {
            let page = "<!doctype html>\n<html><head><title>Sign in</title></head>\n\
                        <body><h1>Please sign in to continue</h1></body></html>\n";
            http::write_response(stream, 200, "text/html; charset=utf-8", &[], page.as_bytes())
                .await;
            Ok(())
        }
        Misbehaviour::JsonErrorAt200 { message } => {
            let body =
                serde_json::json!({ "error": { "message": message, "type": "server_error" } });
            http::write_status(stream, 200, &[], &body.to_string()).await;
            Ok(())
        }
        Misbehaviour::HugeErrorMessage { bytes } => {
            let body = format!(
                r#"{{"error":{{"message":"{}","type":"invalid_request_error"}}}}"#,
                "E".repeat(bytes)
            );
            http::write_status(stream, 400, &[], &body).await;
            Ok(())
        }
        Misbehaviour::Redirect { status, location } => {
            http::write_response(stream, status, "text/plain", &[("location", location)], b"")
                .await;
            Ok(())
        }
        Misbehaviour::MidStreamError { bytes } => {
            http::start_stream(stream, 200).await?;
            let mut events = EventWriter::new(stream);
            events.delta(0, "Request ").await?;
            let error = format!(
                r#"{{"error":{{"message":"{}","type":"server_error"}}}}"#,
                "E".repeat(bytes)
            );
            events.data(&error).await?;
            events.flush().await?;
            http::end_stream(stream).await;
            Ok(())
        }
        Misbehaviour::ContextLength { max_prompt_bytes } => {
            if asked.prompt_bytes <= max_prompt_bytes {
                return honest(stream, asked, number).await;
            }
            let body = serde_json::json!({ "error": {
                "code": 400,
                "message": "the request exceeds the available context size, try increasing it",
                "type": "exceed_context_size_error",
                "n_prompt_tokens": asked.prompt_tokens(),
                "n_ctx": max_prompt_bytes.div_ceil(4),
            }});
            http::write_status(stream, 400, &[], &body.to_string()).await;
            Ok(())
        }
    }
}

async fn honest(stream: &mut TcpStream, asked: &Asked, number: usize) -> std::io::Result<()> {
    http::start_stream(stream, 200).await?;
    let mut events = EventWriter::new(stream);
    for choice in 0..asked.n {
        events.delta(choice, &honest_text(number, choice)).await?;
        events.finish(choice, "stop").await?;
    }
    events.usage(asked.prompt_tokens(), 12 * asked.n as u64).await?;
    events.end().await
}
