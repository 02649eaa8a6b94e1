//! A branch's text as it streams in: [`StreamedText`] holds the whole text, a revision that
//! changes only when the text is replaced rather than extended (a retry, a final text that differs
//! from what streamed), and a one-line [`Preview`] of its end kept up to date token by token. Every
//! token costs work in proportion to the token, never to the branch's length: a branch can stream
//! a megabyte and the row stays as cheap as at its first token. Free of the DOM, so it is tested
//! natively.

/// How many characters of a branch's text its row shows (the whole text is one click away).
pub const PREVIEW_CHARS: usize = 160;

/// The last [`PREVIEW_CHARS`] characters of a text with its whitespace runs collapsed to single
/// spaces (and none at either end), built incrementally: it keeps at most twice that many.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Preview {
    /// The end of the collapsed text.
    tail: String,
    /// Characters in `tail`.
    chars: usize,
    /// Whether characters before `tail` were dropped.
    cut: bool,
    /// Whether whitespace followed the last character kept (shown only if more text comes).
    space: bool,
}

impl Preview {
    /// The preview of a whole text.
    pub fn of(text: &str) -> Self {
        let mut preview = Self::default();
        preview.push(text);
        preview
    }

    /// Extends the preview with the next piece of text. Of a long piece only its end is read:
    /// the part the window would drop anyway is skipped, so a piece costs at most a few windows.
    pub fn push(&mut self, delta: &str) {
        let delta = match shown_part(delta) {
            Some(at) => {
                *self = Self { cut: true, ..Self::default() };
                delta.get(at..).unwrap_or(delta)
            }
            None => delta,
        };
        for c in delta.chars() {
            if c.is_whitespace() {
                self.space = self.chars > 0;
                continue;
            }
            if std::mem::take(&mut self.space) {
                self.keep(' ');
            }
            self.keep(c);
        }
    }

    fn keep(&mut self, c: char) {
        self.tail.push(c);
        self.chars += 1;
        if self.chars > 2 * PREVIEW_CHARS {
            let drop = self.chars - PREVIEW_CHARS;
            let at = self.tail.char_indices().nth(drop).map_or(self.tail.len(), |(at, _)| at);
            self.tail.drain(..at);
            self.chars = PREVIEW_CHARS;
            self.cut = true;
        }
    }

    /// What the row shows: the collapsed text, or "…" and its last [`PREVIEW_CHARS`] characters.
    pub fn shown(&self) -> String {
        if !self.cut && self.chars <= PREVIEW_CHARS {
            return self.tail.clone();
        }
        let skip = self.chars.saturating_sub(PREVIEW_CHARS);
        let at = self.tail.char_indices().nth(skip).map_or(self.tail.len(), |(at, _)| at);
        format!("…{}", self.tail.get(at..).unwrap_or_default())
    }
}

/// Where the end of `delta` that the preview can show starts, when `delta` is long enough for that
/// end to hide everything before it: the position of its last [`PREVIEW_CHARS`]` + 1`-th
/// non-whitespace character from the end (the collapsed text from there on is longer than the
/// window, so the window lies within it and something before it was cut).
fn shown_part(delta: &str) -> Option<usize> {
    if delta.len() <= 4 * PREVIEW_CHARS {
        return None;
    }
    let mut visible = delta.char_indices().rev().filter(|(_, c)| !c.is_whitespace());
    visible.nth(PREVIEW_CHARS).map(|(at, _)| at)
}

/// A branch's visible or reasoning text, with its revision and preview.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamedText {
    text: String,
    revision: u32,
    preview: Preview,
}

impl StreamedText {
    /// Appends a token's text.
    pub fn push(&mut self, delta: &str) {
        self.text.push_str(delta);
        self.preview.push(delta);
    }

    /// Replaces the text (a new revision), unless it already is exactly `text`: a finished
    /// branch's text is normally what streamed, and then nothing is redone.
    pub fn replace(&mut self, text: &str) {
        if self.text != text {
            text.clone_into(&mut self.text);
            self.revision = self.revision.wrapping_add(1);
            self.preview = Preview::of(text);
        }
    }

    /// Follows `text`, the node's text as the run state has it, and says whether anything
    /// changed. While the node streams, its text only grows (or is emptied by a retry): what is
    /// new is appended, at the cost of the new part. Once it ended, its final text replaces what
    /// streamed if they differ.
    pub fn follow(&mut self, text: &str, streaming: bool) -> bool {
        let known = self.text.len();
        if streaming && text.len() >= known {
            return match text.get(known..) {
                Some("") => false,
                Some(new) => {
                    self.push(new);
                    true
                }
                None => self.replace_with(text),
            };
        }
        self.replace_with(text)
    }

    fn replace_with(&mut self, text: &str) -> bool {
        let revision = self.revision;
        self.replace(text);
        revision != self.revision
    }

    /// The whole text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Changes when the text is replaced, not when it is extended: a view that showed bytes
    /// `..n` of revision `r` shows the rest by appending `as_str()[n..]` while the revision is
    /// still `r`.
    pub fn revision(&self) -> u32 {
        self.revision
    }

    /// Whether there is no text.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The row's one-line preview.
    pub fn preview(&self) -> String {
        self.preview.shown()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The preview as the row once computed it, from the whole text at every token.
    fn from_scratch(text: &str) -> String {
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let count = flat.chars().count();
        if count <= PREVIEW_CHARS {
            flat
        } else {
            format!("…{}", flat.chars().skip(count - PREVIEW_CHARS).collect::<String>())
        }
    }

    #[test]
    fn the_incremental_preview_equals_the_preview_of_the_whole_text_at_every_token() {
        let words =
            ["The", " answer", "  is", "\n\n", "42", ".", " Ünïcødé", " 数学", "\t", " ", "x"];
        let mut streamed = StreamedText::default();
        let mut whole = String::new();
        for delta in words.iter().cycle().take(200) {
            streamed.push(delta);
            whole.push_str(delta);
            assert_eq!(streamed.preview(), from_scratch(&whole), "after {whole:?}");
        }
        assert!(streamed.preview().starts_with('…'));
        assert_eq!(streamed.preview().chars().count(), PREVIEW_CHARS + 1);
    }

    #[test]
    fn long_pieces_give_the_same_preview_as_the_whole_text() {
        let pieces = [
            "word ".repeat(300),
            format!("{}  tail  ", "x".repeat(900)),
            "short".to_owned(),
            " \n\t ".repeat(400),
            format!("Ünïcødé {} end", "数学 ".repeat(250)),
            format!("{}{}", "y".repeat(161), " ".repeat(700)),
        ];
        let mut streamed = StreamedText::default();
        let mut whole = String::new();
        for piece in pieces.iter().cycle().take(20) {
            streamed.push(piece);
            whole.push_str(piece);
            assert_eq!(
                streamed.preview(),
                from_scratch(&whole),
                "after a {}-byte piece",
                piece.len()
            );
        }
    }

    #[test]
    fn the_preview_stays_bounded_whatever_the_branch_streams() {
        let mut preview = Preview::default();
        for _ in 0..10_000 {
            preview.push("word ");
        }
        preview.push(&"y".repeat(100_000));
        assert!(preview.tail.len() <= 2 * PREVIEW_CHARS * 4);
        assert_eq!(preview.shown(), format!("…{}", "y".repeat(PREVIEW_CHARS)));
        assert_eq!(Preview::of("  \n ").shown(), "");
    }

    #[test]
    fn following_a_streaming_node_appends_and_its_final_text_replaces_only_if_it_differs() {
        let mut text = StreamedText::default();
        assert!(!text.follow("", true));
        assert!(text.follow("The ans", true));
        assert!(text.follow("The answer is 4", true));
        assert_eq!((text.as_str(), text.revision()), ("The answer is 4", 0), "appended");
        assert!(!text.follow("The answer is 4", true), "nothing new");
        assert!(text.follow("", true), "a retry empties it");
        assert_eq!(text.revision(), 1);
        assert!(text.follow("Retried", true));
        assert!(!text.follow("Retried", false), "the final text is what streamed");
        assert!(text.follow("Final", false));
        assert_eq!(
            (text.as_str(), text.revision(), text.preview().as_str()),
            ("Final", 2, "Final")
        );
    }

    #[test]
    fn replacing_with_other_text_is_a_new_revision_and_the_same_text_is_not() {
        let mut text = StreamedText::default();
        text.push("The answer is 4");
        text.push("2");
        assert_eq!((text.as_str(), text.revision()), ("The answer is 42", 0));
        text.replace("The answer is 42");
        assert_eq!(text.revision(), 0, "the finished text is what streamed: nothing to redo");
        text.replace("");
        assert_eq!((text.as_str(), text.revision(), text.preview().as_str()), ("", 1, ""));
        text.replace("Retried: 7");
        assert_eq!((text.revision(), text.preview().as_str()), (2, "Retried: 7"));
    }
}
