//! [`FaultProxy`]: a loopback proxy in front of a real model server that injects one planned
//! fault per request, then passes requests through untouched.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

use crate::http::{self, Log, Recorded};

/// What the proxy does to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Forward untouched.
    Pass,
    /// Answer 429 with `Retry-After: {0}` seconds, without forwarding.
    RateLimit(u64),
    /// Answer 500 with a JSON error body, without forwarding.
    ServerError,
    /// Forward, relay this many body bytes, then reset the connection (TCP RST).
    ResetAfter(usize),
    /// Forward, relay this many body bytes, then end the HTTP body cleanly: the event stream is
    /// cut before its end marker.
    TruncateAfter(usize),
    /// Forward, relay this many body bytes, then go silent (holding the connection open).
    StallAfter(usize),
}

struct Shared {
    upstream: String,
    plan: Mutex<VecDeque<Fault>>,
    log: Log,
    /// Connections whose client went away while the proxy was still relaying upstream output.
    client_gone: AtomicUsize,
    /// Requests being relayed right now.
    open: AtomicUsize,
}

/// A fault-injecting proxy on 127.0.0.1. Dropping it stops it.
pub struct FaultProxy {
    shared: Arc<Shared>,
    url: String,
    _server: http::Background,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (e.g. `http://127.0.0.1:8790`) on a free port.
    pub fn start(upstream: &str) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            plan: Mutex::new(VecDeque::new()),
            log: Arc::default(),
            client_gone: AtomicUsize::new(0),
            open: AtomicUsize::new(0),
        });
        let accept = Arc::clone(&shared);
        let (address, server) = http::spawn(move |listener: TcpListener| async move {
            let client = reqwest::Client::new();
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(handle(stream, Arc::clone(&accept), client.clone()));
            }
        })?;
        Ok(Self { shared, url: format!("http://{address}"), _server: server })
    }

    /// The proxy's root URL (`http://127.0.0.1:port`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Queues faults for the next requests, in order; later requests pass.
    pub fn plan(&self, faults: impl IntoIterator<Item = Fault>) {
        if let Ok(mut plan) = self.shared.plan.lock() {
            plan.extend(faults);
        }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.log.lock().map(|log| log.clone()).unwrap_or_default()
    }

    /// How many relayed responses the client abandoned before the upstream finished.
    pub fn abandoned_by_client(&self) -> usize {
        self.shared.client_gone.load(Ordering::SeqCst)
    }

    /// Requests being relayed at this moment.
    pub fn open_requests(&self) -> usize {
        self.shared.open.load(Ordering::SeqCst)
    }
}

async fn handle(mut stream: TcpStream, shared: Arc<Shared>, client: reqwest::Client) {
    let Some(request) = http::read_request(&mut stream).await else { return };
    if let Ok(mut log) = shared.log.lock() {
        log.push(request.clone());
    }
    let fault =
        shared.plan.lock().ok().and_then(|mut plan| plan.pop_front()).unwrap_or(Fault::Pass);
    match fault {
        Fault::RateLimit(seconds) => {
            let body =
                r#"{"error":{"message":"rate limited by the fault proxy","type":"rate_limit"}}"#;
            http::write_status(&mut stream, 429, &[("retry-after", seconds.to_string())], body)
                .await;
        }
        Fault::ServerError => {
            let body = r#"{"error":{"message":"injected server error","type":"server_error"}}"#;
            http::write_status(&mut stream, 500, &[], body).await;
        }
        relay => {
            shared.open.fetch_add(1, Ordering::SeqCst);
            forward(stream, &shared, &client, request, relay).await;
            shared.open.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

async fn forward(
    mut stream: TcpStream,
    shared: &Shared,
    client: &reqwest::Client,
    request: Recorded,
    fault: Fault,
) {
    let mut upstream = client.post(format!("{}{}", shared.upstream, request.path));
    for (name, value) in &request.headers {
        if !matches!(name.as_str(), "host" | "content-length" | "connection") {
            upstream = upstream.header(name, value);
        }
    }
    let response = match upstream.body(request.body).send().await {
        Ok(response) => response,
        Err(error) => {
            let body = format!(r#"{{"error":{{"message":"upstream: {error}"}}}}"#);
            http::write_status(&mut stream, 502, &[], &body).await;
            return;
        }
    };
    let limit = match fault {
        Fault::ResetAfter(n) | Fault::TruncateAfter(n) | Fault::StallAfter(n) => n,
        _ => usize::MAX,
    };
    if http::start_stream(&mut stream, response.status().as_u16()).await.is_err() {
        return;
    }
    let mut body = response.bytes_stream();
    let mut sent = 0usize;
    let mut probe = [0u8; 64];
    loop {
        // Watch the client while waiting for the model: a client that hangs up is noticed at
        // once, not at the next write.
        let piece = tokio::select! {
            piece = body.next() => piece,
            read = stream.read(&mut probe) => {
                if matches!(read, Ok(0) | Err(_)) {
                    shared.client_gone.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                continue;
            }
        };
        let Some(Ok(piece)) = piece else { break };
        let allowed = piece.len().min(limit.saturating_sub(sent));
        if http::write_chunk(&mut stream, piece.get(..allowed).unwrap_or_default()).await.is_err() {
            shared.client_gone.fetch_add(1, Ordering::SeqCst);
            return; // dropping `body` closes the upstream request too
        }
        sent += allowed;
        if sent >= limit {
            break;
        }
    }
    match fault {
        Fault::ResetAfter(_) => http::reset(stream),
        Fault::StallAfter(_) => {
            tokio::time::sleep(Duration::from_secs(600)).await;
        }
        _ => http::end_stream(&mut stream).await,
    }
}
