//! [`DefaultTransport`]: reqwest natively, the browser's `fetch` on wasm32.
//!
//! Natively the client uses rustls (no OpenSSL) and a runtime-free timer, so it works under any
//! executor that reqwest's tokio-based I/O accepts (the CLI and tests use tokio). In the browser
//! each request gets its own `AbortController`; dropping the send future or the body stream aborts
//! the fetch, which is how the engine's cancellation closes requests.
//!
//! Neither transport follows redirects, keyed or not (`http::redirect_refused`): a key
//! must not travel to an address the user did not give, and a keyless request is refused too,
//! so both behave alike and a wrong base URL (http that redirects to https, a moved endpoint) is
//! reported with the address to use instead of being followed silently — 301 and 302 would even
//! turn the POST into a GET.

#[cfg(not(target_arch = "wasm32"))]
pub use native::DefaultTransport;
#[cfg(target_arch = "wasm32")]
pub use web::DefaultTransport;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    #[cfg(feature = "native-transport")]
    use std::error::Error as _;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    use futures::FutureExt;
    #[cfg(feature = "native-transport")]
    use futures::StreamExt;
    use thinkscale_engine::compat::BoxFuture;
    use thinkscale_engine::model::{ModelError, ModelErrorKind};

    use crate::http::{HttpRequest, HttpResponse, Transport};
    #[cfg(feature = "native-transport")]
    use crate::http::{parse_retry_after, redirect_refused};

    /// The native transport: a shared reqwest client (HTTP/1.1 keep-alive, rustls) that never
    /// follows redirects.
    #[derive(Debug)]
    pub struct DefaultTransport {
        /// The client, or why it could not be built (then every request fails with that reason;
        /// falling back to reqwest's default client would follow redirects).
        #[cfg(feature = "native-transport")]
        client: Result<reqwest::Client, String>,
        seed: AtomicU64,
    }

    impl Default for DefaultTransport {
        fn default() -> Self {
            Self::new()
        }
    }

    impl DefaultTransport {
        /// A transport with a 10-second connect timeout. Read timeouts are the providers' own
        /// ([`Timeouts`](crate::Timeouts)), so they apply the same way in the browser.
        pub fn new() -> Self {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0x9e37_79b9_7f4a_7c15);
            Self {
                #[cfg(feature = "native-transport")]
                client: reqwest::Client::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| describe(&e).message),
                seed: AtomicU64::new(nanos),
            }
        }
    }

    /// Describes a reqwest error with its causes (the top level alone says little).
    #[cfg(feature = "native-transport")]
    fn describe(error: &reqwest::Error) -> ModelError {
        let kind =
            if error.is_timeout() { ModelErrorKind::Timeout } else { ModelErrorKind::Network };
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        ModelError::new(kind, message)
    }

    impl Transport for DefaultTransport {
        #[cfg(not(feature = "native-transport"))]
        fn send(&self, _: HttpRequest) -> BoxFuture<'static, Result<HttpResponse, ModelError>> {
            let message = "thinkscale-providers was built without the `native-transport` feature";
            futures::future::ready(Err(ModelError::new(ModelErrorKind::Other, message))).boxed()
        }

        #[cfg(feature = "native-transport")]
        fn send(
            &self,
            request: HttpRequest,
        ) -> BoxFuture<'static, Result<HttpResponse, ModelError>> {
            let client = match &self.client {
                Ok(client) => client,
                Err(reason) => {
                    let message = format!("the HTTP client could not be built: {reason}");
                    let error = ModelError::new(ModelErrorKind::Other, message);
                    return futures::future::ready(Err(error)).boxed();
                }
            };
            let mut builder = client.post(&request.url).body(request.body);
            for (name, value) in &request.headers {
                builder = builder.header(name, value);
            }
            async move {
                let response = builder.send().await.map_err(|e| describe(&e))?;
                let header =
                    |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok());
                let status = response.status().as_u16();
                if response.status().is_redirection() {
                    return Err(redirect_refused(Some(status), header("location")));
                }
                let retry_after =
                    parse_retry_after(header("retry-after-ms"), header("retry-after"));
                let content_type = header("content-type").map(str::to_owned);
                let body = response.bytes_stream().map(|piece| match piece {
                    Ok(bytes) => Ok(bytes.to_vec()),
                    Err(error) => Err(describe(&error)),
                });
                Ok(HttpResponse { status, retry_after, content_type, body: Box::pin(body) })
            }
            .boxed()
        }

        fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
            futures_timer::Delay::new(duration).boxed()
        }

        fn random(&self) -> f64 {
            // SplitMix64 over a shared counter: plenty for jitter, no dependency.
            let mut z = self.seed.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 53) as f64
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod web {
    use std::time::Duration;

    use futures::{FutureExt, stream};
    use js_sys::{Reflect, Uint8Array};
    use thinkscale_engine::compat::BoxFuture;
    use thinkscale_engine::model::{ModelError, ModelErrorKind};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{AbortController, ReadableStreamDefaultReader};

    use crate::http::{HttpRequest, HttpResponse, Transport, parse_retry_after, redirect_refused};

    /// The browser transport: `fetch` with a streamed body and an `AbortController` per request.
    #[derive(Debug, Default)]
    pub struct DefaultTransport;

    impl DefaultTransport {
        /// The browser transport (works in windows and workers).
        pub fn new() -> Self {
            Self
        }
    }

    /// Aborts its fetch when dropped, so dropping a request's future or body cancels it.
    struct AbortOnDrop(AbortController);

    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }

    fn js_error(context: &str, value: &JsValue) -> ModelError {
        let text = value
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| value.as_string())
            .unwrap_or_else(|| "unknown error".to_owned());
        ModelError::new(ModelErrorKind::Network, format!("{context}: {text}"))
    }

    async fn read_piece(
        reader: &ReadableStreamDefaultReader,
    ) -> Option<Result<Vec<u8>, ModelError>> {
        let result = match JsFuture::from(reader.read()).await {
            Ok(result) => result,
            Err(error) => return Some(Err(js_error("reading the response failed", &error))),
        };
        let done =
            Reflect::get(&result, &JsValue::from_str("done")).ok()?.as_bool().unwrap_or(true);
        if done {
            return None;
        }
        let value = Reflect::get(&result, &JsValue::from_str("value")).ok()?;
        Some(Ok(Uint8Array::new(&value).to_vec()))
    }

    impl Transport for DefaultTransport {
        fn send(
            &self,
            request: HttpRequest,
        ) -> BoxFuture<'static, Result<HttpResponse, ModelError>> {
            async move {
                let controller = AbortController::new()
                    .map_err(|e| js_error("AbortController is unavailable", &e))?;
                let guard = AbortOnDrop(controller);
                let signal = guard.0.signal();
                // Redirects are never followed (see the module doc). `manual` rather than `error`:
                // with `error`, fetch rejects with a bare TypeError ("Failed to fetch"), the same
                // as a refused connection or a CORS failure, so nobody could tell what happened;
                // with `manual` it resolves with an opaque-redirect response (status 0, no
                // headers: the browser hides where it points), which becomes a clear error below.
                // Neither follows the redirect.
                let mut builder = gloo_net::http::Request::post(&request.url)
                    .abort_signal(Some(&signal))
                    .redirect(web_sys::RequestRedirect::Manual);
                for (name, value) in &request.headers {
                    builder = builder.header(name, value);
                }
                let fetch = builder
                    .body(request.body)
                    .map_err(|e| ModelError::new(ModelErrorKind::InvalidRequest, e.to_string()))?;
                let response = fetch
                    .send()
                    .await
                    .map_err(|e| ModelError::new(ModelErrorKind::Network, e.to_string()))?;
                if response.type_() == web_sys::ResponseType::Opaqueredirect {
                    return Err(redirect_refused(None, None));
                }
                let headers = response.headers();
                let retry_after = parse_retry_after(
                    headers.get("retry-after-ms").as_deref(),
                    headers.get("retry-after").as_deref(),
                );
                let content_type = headers.get("content-type");
                let status = response.status();
                let reader = response.body().and_then(|body| {
                    body.get_reader().dyn_into::<ReadableStreamDefaultReader>().ok()
                });
                let body = stream::unfold((reader, guard), |(reader, guard)| async move {
                    let piece = read_piece(reader.as_ref()?).await?;
                    Some((piece, (reader, guard)))
                });
                Ok(HttpResponse { status, retry_after, content_type, body: Box::pin(body) })
            }
            .boxed_local()
        }

        fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
            let millis = u32::try_from(duration.as_millis()).unwrap_or(u32::MAX);
            gloo_timers::future::TimeoutFuture::new(millis).boxed_local()
        }

        fn random(&self) -> f64 {
            js_sys::Math::random()
        }
    }
}
