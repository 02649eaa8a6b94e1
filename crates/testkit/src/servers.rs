//! [`FixedLatencyServer`] and [`ReplayServer`]: loopback servers without a model behind them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use crate::http::{self, Log, Recorded};

/// Answers every request with a short OpenAI-style streamed completion (`The answer is 42.`,
/// 5 prompt and 6 completion tokens) after a fixed delay, like a remote API's latency. Counts
/// the most requests it held at once.
pub struct FixedLatencyServer {
    url: String,
    peak: Arc<AtomicUsize>,
    _server: http::Background,
}

impl FixedLatencyServer {
    /// Starts the server on a free port.
    pub fn start(delay: Duration) -> std::io::Result<Self> {
        let peak = Arc::new(AtomicUsize::new(0));
        let current = Arc::new(AtomicUsize::new(0));
        let counters = (Arc::clone(&peak), current);
        let (address, server) = http::spawn(move |listener: TcpListener| async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (peak, current) = (Arc::clone(&counters.0), Arc::clone(&counters.1));
                tokio::spawn(async move {
                    let now = current.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    answer_after(stream, delay).await;
                    current.fetch_sub(1, Ordering::SeqCst);
                });
            }
        })?;
        Ok(Self { url: format!("http://{address}/v1"), peak, _server: server })
    }

    /// The API root to give an OpenAI-compatible provider (`http://127.0.0.1:port/v1`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The most requests that were in progress at the same time.
    pub fn peak_concurrency(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

async fn answer_after(mut stream: TcpStream, delay: Duration) {
    if http::read_request(&mut stream).await.is_none() {
        return;
    }
    tokio::time::sleep(delay).await;
    let chunk = |delta: &str, finish: &str| {
        format!(
            "data: {{\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]}}\n\n"
        )
    };
    let body = [
        chunk(r#"{"content":"The answer is 42."}"#, "null"),
        chunk("{}", r#""stop""#),
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6}}\n\n".into(),
        "data: [DONE]\n\n".into(),
    ]
    .concat();
    if http::start_stream(&mut stream, 200).await.is_ok()
        && http::write_chunk(&mut stream, body.as_bytes()).await.is_ok()
    {
        http::end_stream(&mut stream).await;
    }
}

/// Replays one recorded response body (status 200, `text/event-stream`) to every request,
/// in pieces of `piece_bytes` to exercise parsing across network chunks, and records requests.
pub struct ReplayServer {
    url: String,
    log: Log,
    _server: http::Background,
}

impl ReplayServer {
    /// Starts the server on a free port, answering 200 with `recorded` as an event stream.
    pub fn start(recorded: String, piece_bytes: usize) -> std::io::Result<Self> {
        Self::start_with_status(200, recorded, piece_bytes)
    }

    /// Starts the server on a free port, answering `status` with `recorded` as the body.
    pub fn start_with_status(
        status: u16,
        recorded: String,
        piece_bytes: usize,
    ) -> std::io::Result<Self> {
        let log: Log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        let recorded = Arc::new(recorded);
        let (address, server) = http::spawn(move |listener: TcpListener| async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (seen, recorded) = (Arc::clone(&seen), Arc::clone(&recorded));
                tokio::spawn(async move {
                    let Some(request) = http::read_request(&mut stream).await else { return };
                    if let Ok(mut log) = seen.lock() {
                        log.push(request);
                    }
                    if status != 200 {
                        http::write_status(&mut stream, status, &[], &recorded).await;
                        return;
                    }
                    if http::start_stream(&mut stream, 200).await.is_err() {
                        return;
                    }
                    for piece in recorded.as_bytes().chunks(piece_bytes.max(1)) {
                        if http::write_chunk(&mut stream, piece).await.is_err() {
                            return;
                        }
                    }
                    http::end_stream(&mut stream).await;
                });
            }
        })?;
        Ok(Self { url: format!("http://{address}"), log, _server: server })
    }

    /// The server's root URL (`http://127.0.0.1:port`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().map(|log| log.clone()).unwrap_or_default()
    }
}
