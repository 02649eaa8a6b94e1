//! Where an API key belongs: a key is typed for one [`ProviderKind`] at one URL origin, and is sent
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

/// The kinds of provider the demo offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// The built-in model, in the page: no key.
    Builtin,
    /// Any OpenAI-compatible server at a URL the user gives.
    OpenAi,
    /// Anthropic's Messages API.
    Anthropic,
}

impl ProviderKind {
    /// Every kind, in the order the picker lists them.
    pub const ALL: [Self; 3] = [Self::Builtin, Self::OpenAi, Self::Anthropic];

    /// The value of its `<option>`, and its part of a remembered key's storage name.
    pub fn form_value(self) -> &'static str {
        match self {
            Self::Builtin => "builtin",
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
        }
    }

    /// The kind an `<option>` value names.
    pub fn from_form(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.form_value() == value)
    }

    /// What the picker shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::Builtin => "Built-in (in this page, no key)",
            Self::OpenAi => "OpenAI-compatible server",
            Self::Anthropic => "Anthropic",
        }
    }
}

/// One (provider kind, URL origin) pair a key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySlot {
    kind: ProviderKind,
    origin: String,
}

impl KeySlot {
    /// The slot of a provider `kind` pointed at `base_url` (read for OpenAI-compatible servers
    /// only: Anthropic's origin is fixed). `None` for the built-in model (it takes no key) or a
    /// URL that is not plain `http(s)://host` — no key goes there.
    pub fn new(kind: ProviderKind, base_url: &str) -> Option<Self> {
        let origin = match kind {
            ProviderKind::OpenAi => http_origin(base_url)?,
            ProviderKind::Anthropic => ANTHROPIC_ORIGIN.to_owned(),
            ProviderKind::Builtin => return None,
        };
        Some(Self { kind, origin })
    }

    /// The origin the key is sent to (`https://api.openai.com`, `http://127.0.0.1:8080`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The name of this slot's item in the browser's storage.
    pub fn storage_name(&self) -> String {
        format!("{STORAGE_PREFIX}{} {}", self.kind.form_value(), self.origin)
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

    use ProviderKind::{Anthropic, Builtin, OpenAi};

    fn origin(kind: ProviderKind, url: &str) -> Option<String> {
        KeySlot::new(kind, url).map(|slot| slot.origin().to_owned())
    }

    #[test]
    fn a_slot_is_the_kind_and_the_origin_the_browser_would_send_to() {
        assert_eq!(
            origin(OpenAi, "http://127.0.0.1:8080/v1").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        // Paths, default ports and case do not make another server.
        assert_eq!(
            KeySlot::new(OpenAi, "https://API.openai.com:443/v1"),
            KeySlot::new(OpenAi, "https://api.openai.com/other")
        );
        assert_ne!(
            KeySlot::new(OpenAi, "http://127.0.0.1:8080/v1"),
            KeySlot::new(OpenAi, "http://127.0.0.1:8081/v1")
        );
        assert_ne!(
            KeySlot::new(OpenAi, "http://localhost/v1"),
            KeySlot::new(OpenAi, "https://localhost/v1")
        );
        // Anthropic's key goes to Anthropic, whatever the Server URL field holds.
        assert_eq!(
            origin(Anthropic, "http://127.0.0.1:8080/v1").as_deref(),
            Some(ANTHROPIC_ORIGIN)
        );
        assert_ne!(KeySlot::new(Anthropic, ""), KeySlot::new(OpenAi, ANTHROPIC_ORIGIN));
    }

    #[test]
    fn urls_that_hide_their_host_or_are_not_http_get_no_slot() {
        // The host is evil.example for browsers and for the url crate, whatever follows the '@'.
        assert_eq!(
            origin(OpenAi, "http://evil.example\\@localhost:8080/v1").as_deref(),
            Some("http://evil.example")
        );
        assert_eq!(origin(OpenAi, "http://user:pw@localhost:8080/v1"), None);
        assert_eq!(origin(OpenAi, "file:///etc/passwd"), None);
        assert_eq!(origin(OpenAi, "data:text/plain,hi"), None);
        assert_eq!(origin(OpenAi, "not a url"), None);
        assert_eq!(origin(Builtin, "http://127.0.0.1:8080/v1"), None);
    }

    #[test]
    fn each_slot_has_its_own_storage_name() {
        let a = KeySlot::new(OpenAi, "http://127.0.0.1:1/v1").unwrap();
        let b = KeySlot::new(OpenAi, "http://127.0.0.1:2/v1").unwrap();
        let c = KeySlot::new(Anthropic, "").unwrap();
        assert_eq!(a.storage_name(), "thinkscale.apiKey:openai http://127.0.0.1:1");
        assert_ne!(a.storage_name(), b.storage_name());
        assert_ne!(b.storage_name(), c.storage_name());
    }

    #[test]
    fn every_kind_reads_back_from_its_form_value() {
        for kind in ProviderKind::ALL {
            assert_eq!(ProviderKind::from_form(kind.form_value()), Some(kind));
        }
        assert_eq!(ProviderKind::from_form("gemini"), None);
    }
}
