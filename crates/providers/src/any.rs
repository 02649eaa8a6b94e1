//! [`AnyModel`]: one type over every provider, for front ends that pick the provider at run
//! time (the terminal and JS APIs), plus checks and helpers the providers share.

use futures::{Stream, StreamExt};
use thinkscale_engine::compat::{BoxStream, MaybeSend};
use thinkscale_engine::model::{Capabilities, Chunk, Model, ModelError, Request, Response};

use crate::{Anthropic, ApiKey, Error, OpenAiCompatible, Transport};

/// Any provider of this crate, chosen at run time.
#[derive(Debug, Clone)]
pub enum AnyModel<T: Transport = crate::DefaultTransport> {
    /// An OpenAI-compatible server (including Gemini's compatible endpoint).
    OpenAi(OpenAiCompatible<T>),
    /// Anthropic's Messages API.
    Anthropic(Anthropic<T>),
}

impl<T: Transport> From<OpenAiCompatible<T>> for AnyModel<T> {
    fn from(model: OpenAiCompatible<T>) -> Self {
        Self::OpenAi(model)
    }
}

impl<T: Transport> From<Anthropic<T>> for AnyModel<T> {
    fn from(model: Anthropic<T>) -> Self {
        Self::Anthropic(model)
    }
}

impl<T: Transport> Model for AnyModel<T> {
    async fn complete(&self, request: Request) -> Result<Response, ModelError> {
        thinkscale_engine::model::response_of(self.stream(request)).await
    }

    fn stream(
        &self,
        request: Request,
    ) -> impl Stream<Item = Result<Chunk, ModelError>> + MaybeSend {
        let stream: BoxStream<'_, Result<Chunk, ModelError>> = match self {
            Self::OpenAi(model) => box_stream(model.stream(request)),
            Self::Anthropic(model) => box_stream(model.stream(request)),
        };
        stream
    }

    fn capabilities(&self) -> Capabilities {
        match self {
            Self::OpenAi(model) => model.capabilities(),
            Self::Anthropic(model) => model.capabilities(),
        }
    }

    fn id(&self) -> &str {
        match self {
            Self::OpenAi(model) => model.id(),
            Self::Anthropic(model) => model.id(),
        }
    }

    fn thinking_tokens(&self, request: &Request) -> u64 {
        match self {
            Self::OpenAi(model) => model.thinking_tokens(request),
            Self::Anthropic(model) => model.thinking_tokens(request),
        }
    }
}

fn box_stream<'a, S>(stream: S) -> BoxStream<'a, S::Item>
where
    S: Stream + MaybeSend + 'a,
{
    #[cfg(not(target_arch = "wasm32"))]
    return stream.boxed();
    #[cfg(target_arch = "wasm32")]
    return stream.boxed_local();
}

/// Validates a base URL and returns it without a trailing slash. A key may travel in clear text
/// (`http://`) only to this machine: anything else would hand it to every network hop.
pub(crate) fn checked_base_url(base_url: &str, key: &ApiKey) -> Result<String, Error> {
    let url = base_url.trim().trim_end_matches('/');
    let invalid = |reason: &str| Error::InvalidConfig { field: "base_url", reason: reason.into() };
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest
    } else if let Some(rest) = url.strip_prefix("http://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let name = if host.starts_with('[') {
            host.split(']').next().map(|h| format!("{h}]")).unwrap_or_default()
        } else {
            host.split(':').next().unwrap_or_default().to_owned()
        };
        let local = matches!(name.as_str(), "localhost" | "127.0.0.1" | "[::1]");
        if !key.is_empty() && !local {
            return Err(invalid(
                "an API key may only be sent over https (plain http is allowed to localhost only)",
            ));
        }
        rest
    } else {
        return Err(invalid(&format!("`{url}` is not an http(s) URL")));
    };
    if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
        return Err(invalid(&format!("`{url}` has no valid host")));
    }
    Ok(url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked_and_keys_stay_off_plain_http() {
        let key = ApiKey::new("sk-123");
        let none = ApiKey::new("");
        assert_eq!(
            checked_base_url("https://api.openai.com/v1/", &key).as_deref(),
            Ok("https://api.openai.com/v1")
        );
        assert!(checked_base_url("http://127.0.0.1:8080/v1", &key).is_ok());
        assert!(checked_base_url("http://localhost/v1", &key).is_ok());
        assert!(checked_base_url("http://[::1]:80/v1", &key).is_ok());
        assert!(checked_base_url("http://example.com/v1", &none).is_ok());
        assert!(checked_base_url("http://example.com/v1", &key).is_err());
        assert!(checked_base_url("http://127.0.0.1.evil.com/v1", &key).is_err());
        assert!(checked_base_url("ftp://x", &none).is_err());
        assert!(checked_base_url("https://", &none).is_err());
    }
}
