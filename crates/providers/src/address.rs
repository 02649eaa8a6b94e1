//! Where a provider sends its requests: base URLs checked with a real URL parser before any key
//! goes near them, and request URLs built on the parsed path.

use url::{Host, Url};

use crate::{ApiKey, Error};

/// Validates a base URL with a real URL parser — the WHATWG rules browsers follow, so the host
/// checked is the host requests go to — and returns it without a trailing slash or fragment.
///
/// Refused: anything but http(s); a user name or password in the URL (`user@host` tricks, and
/// keys pasted into the wrong field); and a key over plain http to anything but this machine
/// (`localhost`, 127.0.0.0/8, `[::1]`), since anywhere else it would cross the network in clear
/// text. Messages never repeat the URL itself: it may hold a password.
pub(crate) fn checked_base_url(base_url: &str, key: &ApiKey) -> Result<Url, Error> {
    let text = base_url.trim();
    let invalid = |reason: String| Error::InvalidConfig { field: "base_url", reason };
    if text.contains(char::is_whitespace) {
        return Err(invalid("contains whitespace".into()));
    }
    let mut url = Url::parse(text).map_err(|e| invalid(format!("is not a valid URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!("is a `{}:` URL, not http(s)", url.scheme())));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "must not hold a user name or password (`user@host`); put a key in the API key \
             setting"
                .into(),
        ));
    }
    let Some(host) = url.host() else { return Err(invalid("has no host".into())) };
    if url.scheme() == "http" && !key.is_empty() && !is_loopback(&host) {
        return Err(invalid(format!(
            "an API key may only be sent over https; plain http is allowed to this machine only \
             (localhost, 127.0.0.0/8, [::1]), and this URL's host is `{host}`"
        )));
    }
    url.set_fragment(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty();
    }
    Ok(url)
}

/// Whether requests to `host` stay on this machine.
fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        // The parser has lowercased the name already.
        Host::Domain(name) => *name == "localhost",
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// `base` with `segments` appended to its path (a query it has is kept), as a request URL.
pub(crate) fn endpoint_url(base: &Url, segments: &[&str]) -> String {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked_and_keys_stay_off_plain_http() {
        let key = ApiKey::new("sk-123");
        let none = ApiKey::new("");
        assert_eq!(
            checked_base_url("https://api.openai.com/v1/", &key).map(String::from).as_deref(),
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

    #[test]
    fn request_urls_are_built_on_the_parsed_path() {
        let none = ApiKey::new("");
        let base = checked_base_url("http://127.0.0.1:8080/v1/#top", &none).unwrap();
        assert_eq!(
            endpoint_url(&base, &["chat", "completions"]),
            "http://127.0.0.1:8080/v1/chat/completions"
        );
        let root = checked_base_url("https://api.anthropic.com", &none).unwrap();
        assert_eq!(
            endpoint_url(&root, &["v1", "messages"]),
            "https://api.anthropic.com/v1/messages"
        );
        let query = checked_base_url("https://example.com/v1?api-version=2", &none).unwrap();
        assert_eq!(
            endpoint_url(&query, &["chat", "completions"]),
            "https://example.com/v1/chat/completions?api-version=2"
        );
    }

    #[test]
    fn the_host_is_the_one_a_url_parser_and_a_browser_send_to() {
        let key = ApiKey::new("sk-123");
        // WHATWG parsing (browsers, the `url` crate) reads `\` as `/`: this goes to evil.example.
        let error = checked_base_url("http://evil.example\\@localhost:8080/v1", &key).unwrap_err();
        assert!(error.to_string().contains("evil.example"), "{error}");
        // Userinfo is refused outright, key or not.
        for url in ["http://user:pw@localhost:8080/v1", "https://sk-1@api.openai.com/v1"] {
            let error = checked_base_url(url, &ApiKey::new("")).unwrap_err();
            assert!(error.to_string().contains("user name or password"), "{url}: {error}");
        }
        // Loopback is every 127.0.0.0/8 address, as the parser reports it, and nothing else.
        for url in ["http://127.0.0.2:8080/v1", "http://LOCALHOST/v1", "http://127.1/v1"] {
            assert!(checked_base_url(url, &key).is_ok(), "{url}");
        }
        for url in ["http://localhost.evil.com/v1", "http://[::2]/v1", "http://10.0.0.1/v1"] {
            assert!(checked_base_url(url, &key).is_err(), "{url}");
        }
    }
}
