//! The HTTP seam between providers and the network: a request, a streamed response and the
//! [`Transport`] that carries them (browser `fetch` or reqwest, see `transport`).

use std::fmt;
use std::time::Duration;

use thinkscale_engine::compat::{BoxFuture, BoxStream, MaybeSend, MaybeSync};
use thinkscale_engine::model::{ModelError, ModelErrorKind};

/// A POST request with a JSON body. Header values may hold credentials, so `Debug` hides them.
#[derive(Clone)]
pub struct HttpRequest {
    /// The full URL.
    pub url: String,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: String,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("HttpRequest")
            .field("url", &self.url)
            .field("headers", &names)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// A response whose body arrives as a stream of byte pieces.
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// The wait the server asked for (`retry-after-ms` or `retry-after` in seconds).
    pub retry_after: Option<Duration>,
    /// The `content-type` header, as sent (`text/event-stream`, `text/html; charset=utf-8`).
    pub content_type: Option<String>,
    /// The body, piece by piece. Dropping it aborts the request.
    pub body: BoxStream<'static, Result<Vec<u8>, ModelError>>,
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

/// Sends HTTP requests and waits. Implemented by the browser's `fetch` (wasm32) and reqwest
/// (native) in [`DefaultTransport`](crate::DefaultTransport); tests and embedders may supply their
/// own. Dropping a returned future or body must abort the request.
pub trait Transport: MaybeSend + MaybeSync + 'static {
    /// Sends `request` and resolves once the status and headers have arrived.
    fn send(&self, request: HttpRequest) -> BoxFuture<'static, Result<HttpResponse, ModelError>>;

    /// Resolves after `duration` (backoff and timeouts use it).
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;

    /// A uniformly random number in [0, 1), for backoff jitter.
    fn random(&self) -> f64;
}

/// The error for a redirect, which transports never follow: a key (or a prompt) must never
/// travel to an address the user did not give, and headers like Anthropic's `x-api-key` survive
/// cross-origin redirects. Its kind is [`ModelErrorKind::NotFound`]: the endpoint is not at this
/// URL, every request would be redirected the same way, so the run stops instead of failing node
/// after node. `status` and `location` are unknown in the browser, which hides both.
#[cfg_attr(not(any(feature = "native-transport", target_arch = "wasm32")), allow(dead_code))]
pub(crate) fn redirect_refused(status: Option<u16>, location: Option<&str>) -> ModelError {
    let refusal = "redirects are not followed, so that a key or a prompt never goes to an \
                   address you did not give";
    let message = match location {
        Some(location) => format!(
            "the server redirected this request to `{location}`; {refusal}. If you trust that \
             address, use it as the base URL"
        ),
        None => format!("the server answered with a redirect; {refusal}"),
    };
    let error = ModelError::new(ModelErrorKind::NotFound, message);
    match status {
        Some(status) => error.with_status(status),
        None => error,
    }
}

/// Parses `retry-after-ms` (milliseconds) or `retry-after` (whole seconds; HTTP dates are ignored).
#[cfg_attr(not(any(feature = "native-transport", target_arch = "wasm32")), allow(dead_code))]
pub(crate) fn parse_retry_after(
    retry_after_ms: Option<&str>,
    retry_after: Option<&str>,
) -> Option<Duration> {
    if let Some(ms) = retry_after_ms
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
    {
        return Some(Duration::from_millis(ms as u64));
    }
    retry_after.and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_prefers_milliseconds_and_ignores_dates() {
        assert_eq!(parse_retry_after(Some("250"), Some("3")), Some(Duration::from_millis(250)));
        assert_eq!(parse_retry_after(None, Some(" 2 ")), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(None, Some("Wed, 21 Oct 2026 07:28:00 GMT")), None);
        assert_eq!(parse_retry_after(Some("-5"), None), None);
    }

    #[test]
    fn a_refused_redirect_names_its_status_and_target() {
        let error = redirect_refused(Some(307), Some("https://elsewhere.example/v1"));
        assert_eq!((error.kind, error.status), (ModelErrorKind::NotFound, Some(307)));
        assert!(
            error.to_string().contains("redirected this request to `https://elsewhere.example/v1`")
        );
        assert!(redirect_refused(None, None).message.contains("answered with a redirect"));
    }

    #[test]
    fn debug_never_shows_header_values() {
        let request = HttpRequest {
            url: "https://api.example.com/v1/chat/completions".into(),
            headers: vec![("authorization".into(), "Bearer sk-secret".into())],
            body: "{}".into(),
        };
        let printed = format!("{request:?}");
        assert!(printed.contains("authorization") && !printed.contains("sk-secret"));
    }
}
