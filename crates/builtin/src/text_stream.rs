//! Turning a sequence's token bytes into streamed text that honours stop strings.
//!
//! Tokens can end inside a UTF-8 character, and a stop string can straddle tokens; so bytes are
//! held until they form whole characters, and text that could be the start of a stop string is
//! held until the next token tells whether it is. Nothing past a stop string is ever emitted.

/// The streamed text of one sequence.
#[derive(Debug, Clone, Default)]
pub(crate) struct TextStream {
    /// Bytes that do not yet form a whole character.
    pending: Vec<u8>,
    /// All decoded text (emitted and held back).
    text: String,
    /// How much of `text` has been emitted.
    emitted: usize,
    stops: Vec<String>,
    stopped: bool,
}

impl TextStream {
    /// A stream that ends at the first of `stops` (empty strings are ignored).
    pub(crate) fn new(stops: &[String]) -> Self {
        Self { stops: stops.iter().filter(|s| !s.is_empty()).cloned().collect(), ..Self::default() }
    }

    /// Adds a token's bytes and returns the text now safe to show. After a stop string has been
    /// seen, [`TextStream::stopped`] is true and further bytes are ignored.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> String {
        if self.stopped {
            return String::new();
        }
        self.pending.extend_from_slice(bytes);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(text) => text.len(),
            // Bytes that can never become valid are replaced; an unfinished character waits.
            Err(error) if error.error_len().is_some() => {
                let lossy = String::from_utf8_lossy(&self.pending).into_owned();
                self.pending.clear();
                self.text.push_str(&lossy);
                0
            }
            Err(error) => error.valid_up_to(),
        };
        let whole: Vec<u8> = self.pending.drain(..valid).collect();
        self.text.push_str(&String::from_utf8_lossy(&whole));

        let search_from = self.emitted.saturating_sub(self.longest_stop());
        let search_from = floor_char_boundary(&self.text, search_from);
        let found = self
            .stops
            .iter()
            .filter_map(|stop| {
                self.text[search_from..].find(stop.as_str()).map(|at| search_from + at)
            })
            .min();
        if let Some(at) = found {
            self.text.truncate(at.max(self.emitted));
            self.pending.clear();
            self.stopped = true;
            return self.release(self.text.len());
        }
        let held = self.held_back();
        self.release(self.text.len() - held)
    }

    /// Everything not yet shown, at the end of generation (a partial stop string is just text).
    pub(crate) fn finish(&mut self) -> String {
        if !self.pending.is_empty() {
            let rest = String::from_utf8_lossy(&self.pending).into_owned();
            self.text.push_str(&rest);
            self.pending.clear();
        }
        self.release(self.text.len())
    }

    /// Whether a stop string ended the text.
    pub(crate) fn stopped(&self) -> bool {
        self.stopped
    }

    /// The whole text emitted so far.
    pub(crate) fn text(&self) -> &str {
        &self.text[..self.emitted]
    }

    fn release(&mut self, end: usize) -> String {
        let end = floor_char_boundary(&self.text, end.max(self.emitted));
        let out = self.text[self.emitted..end].to_string();
        self.emitted = end;
        out
    }

    fn longest_stop(&self) -> usize {
        self.stops.iter().map(String::len).max().unwrap_or(0)
    }

    /// Length of the longest suffix of the text that is a proper prefix of a stop string.
    fn held_back(&self) -> usize {
        let tail_start = self.emitted;
        let tail = &self.text[tail_start..];
        self.stops
            .iter()
            .flat_map(|stop| {
                (1..stop.len().min(tail.len() + 1))
                    .filter(move |&len| stop.is_char_boundary(len) && tail.ends_with(&stop[..len]))
            })
            .max()
            .unwrap_or(0)
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(stops: &[&str], pieces: &[&[u8]]) -> (Vec<String>, String, bool) {
        let stops: Vec<String> = stops.iter().map(|s| s.to_string()).collect();
        let mut stream = TextStream::new(&stops);
        let mut shown: Vec<String> = pieces.iter().map(|p| stream.push(p)).collect();
        shown.push(stream.finish());
        (shown, stream.text().to_string(), stream.stopped())
    }

    #[test]
    fn a_stop_string_split_across_tokens_is_held_then_cut() {
        let (shown, text, stopped) =
            run(&["\n\nQuestion"], &[b"42", b"\n", b"\nQue", b"stion: more"]);
        assert_eq!(shown, ["42", "", "", "", ""]);
        assert_eq!(text, "42");
        assert!(stopped);
    }

    #[test]
    fn held_text_that_turns_out_not_to_be_a_stop_is_released() {
        let (shown, text, stopped) = run(&["END"], &[b"a E", b"Nx", b"!"]);
        assert_eq!(shown.concat(), "a ENx!");
        assert_eq!(shown.first().map(String::as_str), Some("a "));
        assert_eq!(text, "a ENx!");
        assert!(!stopped);
    }

    #[test]
    fn a_character_split_across_tokens_is_emitted_whole() {
        let smile = "🙂".as_bytes();
        let (shown, text, _) = run(&[], &[&smile[..1], &smile[1..3], &smile[3..]]);
        assert_eq!(shown, ["", "", "🙂", ""]);
        assert_eq!(text, "🙂");
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let (_, text, _) = run(&[], &[b"a\xFFb"]);
        assert_eq!(text, "a\u{FFFD}b");
    }
}
