//! [`ApiKey`]: a credential that never prints, and the scrubber that keeps it out of messages.

use std::fmt;

/// An API key. Its `Debug` and `Display` print `ApiKey(***)`; it is not serializable; the only way
/// to read it is inside this crate, where a provider puts it in the one header its endpoint needs.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key, trimming surrounding whitespace (keys pasted into forms often carry some).
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into().trim().to_owned())
    }

    /// Whether the key is empty (a keyless local server).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The key itself, for the few places that must hand it on and say so by calling this: a
    /// provider's request header, the form field that shows it (masked), and the browser storage
    /// a user opted into. Never log, print or serialize what it returns.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    pub(crate) fn expose(&self) -> &str {
        self.reveal()
    }

    /// Replaces the key, and any 8-character run of it, in `text` with `***`. Error bodies from
    /// providers sometimes echo the key that was sent (or part of it); nothing leaves this crate
    /// with it inside.
    pub(crate) fn scrub(&self, text: &str) -> String {
        if self.0.len() < 8 {
            return if self.0.is_empty() { text.to_owned() } else { text.replace(&self.0, "***") };
        }
        let mut scrubbed = text.replace(&self.0, "***");
        let chars: Vec<char> = self.0.chars().collect();
        for window in chars.windows(8) {
            let piece: String = window.iter().collect();
            if scrubbed.contains(&piece) {
                scrubbed = scrubbed.replace(&piece, "***");
            }
        }
        scrubbed
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_and_scrubs_whole_and_partial_echoes() {
        let key = ApiKey::new(" sk-test-0123456789abcdef \n");
        assert_eq!(format!("{key:?} {key}"), "ApiKey(***) ***");
        let body = "Incorrect API key provided: sk-test-0123456789abcdef. Also ****89abcdef.";
        let scrubbed = key.scrub(body);
        assert!(!scrubbed.contains("0123456789abcdef") && !scrubbed.contains("89abcdef"));
        assert!(scrubbed.starts_with("Incorrect API key provided: ***"));
    }
}
