//! Where an API key belongs: a key is typed for one provider kind at one URL origin, and is sent
//! there only. [`KeySlot`] names that pair — changing the kind or the server's origin changes the
//! slot, and the demo then shows the key remembered for the new slot or none — and is the name
//! under which a key the user chose to remember is kept in the browser's storage, one slot per
//! pair. Free of the DOM, so it is tested natively.
//!
//! Origins come from the `url` crate (WHATWG parsing, the same that browsers apply): a hand-made
//! split of the URL string is what let `http://evil.example\@localhost/` pass for localhost.

use url::Url;

/// The storage item names of remembered keys start with this.
const STORAGE_PREFIX: &str = "thinkscale.apiKey:";

/// Where the Anthropic provider sends its key.
pub const ANTHROPIC_ORIGIN: &str = "https://api.anthropic.com";

/// One (provider kind, URL origin) pair a key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySlot {
    kind: String,
    origin: String,
}

impl KeySlot {
    /// The slot of a provider `kind` (`openai`, `anthropic`) pointed at `base_url` (read for
    /// `openai` only: Anthropic's origin is fixed). `None` for the built-in model (it takes no
    /// key), an unknown kind, or a URL that is not plain `http(s)://host` — no key goes there.
    pub fn new(kind: &str, base_url: &str) -> Option<Self> {
        let origin = match kind {
            "openai" => http_origin(base_url)?,
            "anthropic" => ANTHROPIC_ORIGIN.to_owned(),
            _ => return None,
        };
        Some(Self { kind: kind.to_owned(), origin })
    }

    /// The origin the key is sent to (`https://api.openai.com`, `http://127.0.0.1:8080`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The name of this slot's item in the browser's storage.
    pub fn storage_name(&self) -> String {
        format!("{STORAGE_PREFIX}{} {}", self.kind, self.origin)
    }
}

/// The origin of an `http` or `https` URL with a host and no user info (`scheme://host[:port]`).
fn http_origin(text: &str) -> Option<String> {
    let url = Url::parse(text.trim()).ok()?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none();
    plain.then(|| url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(kind: &str, url: &str) -> Option<String> {
        KeySlot::new(kind, url).map(|slot| slot.origin().to_owned())
    }

    #[test]
    fn a_slot_is_the_kind_and_the_origin_the_browser_would_send_to() {
        assert_eq!(
            origin("openai", "http://127.0.0.1:8080/v1").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        // Paths, default ports and case do not make another server.
        assert_eq!(
            KeySlot::new("openai", "https://API.openai.com:443/v1"),
            KeySlot::new("openai", "https://api.openai.com/other")
        );
        assert_ne!(
            KeySlot::new("openai", "http://127.0.0.1:8080/v1"),
            KeySlot::new("openai", "http://127.0.0.1:8081/v1")
        );
        assert_ne!(
            KeySlot::new("openai", "http://localhost/v1"),
            KeySlot::new("openai", "https://localhost/v1")
        );
        // Anthropic's key goes to Anthropic, whatever the Server URL field holds.
        assert_eq!(
            origin("anthropic", "http://127.0.0.1:8080/v1").as_deref(),
            Some(ANTHROPIC_ORIGIN)
        );
        assert_ne!(KeySlot::new("anthropic", ""), KeySlot::new("openai", ANTHROPIC_ORIGIN));
    }

    #[test]
    fn urls_that_hide_their_host_or_are_not_http_get_no_slot() {
        // The host is evil.example for browsers and for the url crate, whatever follows the '@'.
        assert_eq!(
            origin("openai", "http://evil.example\\@localhost:8080/v1").as_deref(),
            Some("http://evil.example")
        );
        assert_eq!(origin("openai", "http://user:pw@localhost:8080/v1"), None);
        assert_eq!(origin("openai", "file:///etc/passwd"), None);
        assert_eq!(origin("openai", "data:text/plain,hi"), None);
        assert_eq!(origin("openai", "not a url"), None);
        assert_eq!(origin("builtin", "http://127.0.0.1:8080/v1"), None);
    }

    #[test]
    fn each_slot_has_its_own_storage_name() {
        let a = KeySlot::new("openai", "http://127.0.0.1:1/v1").unwrap();
        let b = KeySlot::new("openai", "http://127.0.0.1:2/v1").unwrap();
        let c = KeySlot::new("anthropic", "").unwrap();
        assert_eq!(a.storage_name(), "thinkscale.apiKey:openai http://127.0.0.1:1");
        assert_ne!(a.storage_name(), b.storage_name());
        assert_ne!(b.storage_name(), c.storage_name());
    }
}
