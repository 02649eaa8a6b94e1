//! Byte-level BPE tokenization, built from the vocabulary and merges stored in a GGUF file.
//!
//! SmolLM2 and Qwen2.5 both use GPT-2-style byte-level BPE: text is split into words
//! ([`SplitRule`]), each word's UTF-8 bytes are mapped to printable characters, and adjacent
//! symbols are merged in the order the merge list ranks them. Written here rather than taken from
//! the `tokenizers` crate so the browser build stays small; `tests/builtin.rs` checks it token for
//! token against llama.cpp's tokenizer on real text.
//!
//! Control tokens (`<|im_start|>` …) are never produced from text: the chat template inserts them
//! by id, so a user who types `<|im_end|>` cannot end their own turn.

mod bytes;
mod pretokenize;

use std::collections::HashMap;

#[cfg(test)]
pub(crate) use bytes::symbol_of;
pub use pretokenize::SplitRule;

use crate::Error;

/// A token id.
pub type TokenId = u32;

/// GGUF's token type for control tokens (`tokenizer.ggml.token_type`).
const CONTROL: i32 = 3;

/// A byte-level BPE tokenizer.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    ids: HashMap<String, TokenId>,
    /// Each token's bytes (empty for control tokens, which decode to nothing).
    bytes: Vec<Vec<u8>>,
    /// `(left, right)` → `(rank, merged)`.
    merges: HashMap<(TokenId, TokenId), (u32, TokenId)>,
    /// The token of each single byte.
    byte_tokens: [Option<TokenId>; 256],
    rule: SplitRule,
}

impl Tokenizer {
    /// Builds a tokenizer from GGUF's `tokenizer.ggml.tokens`, `.token_type`, `.merges` (each
    /// `"left right"`) and the split rule named by `.pre`.
    pub fn new(
        tokens: Vec<String>,
        token_types: &[i32],
        merges: &[String],
        rule: SplitRule,
    ) -> Result<Self, Error> {
        let bytes: Vec<Vec<u8>> = tokens
            .iter()
            .enumerate()
            .map(|(id, token)| {
                if token_types.get(id) == Some(&CONTROL) {
                    Vec::new()
                } else {
                    bytes::decode_symbols(token)
                }
            })
            .collect();
        let ids: HashMap<String, TokenId> =
            tokens.into_iter().enumerate().map(|(id, token)| (token, id as TokenId)).collect();
        let mut byte_tokens = [None; 256];
        for (byte, slot) in byte_tokens.iter_mut().enumerate() {
            *slot = ids.get(&bytes::symbol_of(byte as u8).to_string()).copied();
        }
        let mut merge_table = HashMap::with_capacity(merges.len());
        for (rank, merge) in merges.iter().enumerate() {
            let (left, right) = merge.split_once(' ').ok_or_else(|| {
                Error::Tokenizer(format!("merge {rank} ({merge:?}) has no space"))
            })?;
            let (Some(&l), Some(&r), Some(&merged)) =
                (ids.get(left), ids.get(right), ids.get(&format!("{left}{right}")))
            else {
                return Err(Error::Tokenizer(format!(
                    "merge {rank} ({merge:?}) names unknown tokens"
                )));
            };
            merge_table.entry((l, r)).or_insert((rank as u32, merged));
        }
        Ok(Self { ids, bytes, merges: merge_table, byte_tokens, rule })
    }

    /// How many tokens the vocabulary has.
    pub fn vocab_size(&self) -> usize {
        self.bytes.len()
    }

    /// The id of a token spelled exactly `name` (control tokens included).
    pub fn token_id(&self, name: &str) -> Option<TokenId> {
        self.ids.get(name).copied()
    }

    /// Encodes plain text (never producing control tokens).
    pub fn encode(&self, text: &str) -> Result<Vec<TokenId>, Error> {
        let mut out = Vec::with_capacity(text.len() / 3 + 1);
        for word in self.rule.split(text) {
            self.encode_word(word, &mut out)?;
        }
        Ok(out)
    }

    /// The bytes a token stands for (nothing for control tokens). Tokens may end inside a UTF-8
    /// character, so text is assembled from bytes, not from per-token strings.
    pub fn token_bytes(&self, id: TokenId) -> &[u8] {
        self.bytes.get(id as usize).map_or(&[], Vec::as_slice)
    }

    /// Decodes tokens to text, replacing invalid UTF-8.
    pub fn decode(&self, ids: &[TokenId]) -> String {
        let bytes: Vec<u8> = ids.iter().flat_map(|&id| self.token_bytes(id)).copied().collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn encode_word(&self, word: &str, out: &mut Vec<TokenId>) -> Result<(), Error> {
        let mut symbols = word
            .bytes()
            .map(|byte| {
                self.byte_tokens
                    .get(usize::from(byte))
                    .copied()
                    .flatten()
                    .ok_or_else(|| Error::Tokenizer(format!("no token for byte {byte:#04x}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Merge the best-ranked adjacent pair until none is in the merge list. Words are short,
        // so the quadratic scan is cheaper than a priority queue.
        loop {
            let best = symbols
                .windows(2)
                .enumerate()
                .filter_map(|(at, pair)| match pair {
                    [left, right] => {
                        self.merges.get(&(*left, *right)).map(|&(rank, merged)| (rank, at, merged))
                    }
                    _ => None,
                })
                .min();
            let Some((_, at, merged)) = best else { break };
            symbols.splice(at..at + 2, [merged]);
        }
        out.extend(symbols);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Tokenizer {
        // Every byte a token of its own, plus a few merges and a control token.
        let mut tokens: Vec<String> =
            (0..=255u8).map(|b| bytes::symbol_of(b).to_string()).collect();
        tokens.extend(["he", "ll", "hell", "hello", "Ġw", "<|im_end|>"].map(String::from));
        let mut types = vec![1; tokens.len()];
        if let Some(last) = types.last_mut() {
            *last = CONTROL;
        }
        let merges = ["h e", "l l", "he ll", "hell o", "Ġ w"].map(String::from);
        Tokenizer::new(tokens, &types, &merges, SplitRule::Gpt2).unwrap()
    }

    #[test]
    fn merges_follow_their_rank_and_round_trip() {
        let tokenizer = tiny();
        let ids = tokenizer.encode("hello world").unwrap();
        let hello = tokenizer.token_id("hello").unwrap();
        let space_w = tokenizer.token_id("Ġw").unwrap();
        assert_eq!(ids.first(), Some(&hello));
        assert_eq!(ids.get(1), Some(&space_w));
        assert_eq!(tokenizer.decode(&ids), "hello world");
    }

    #[test]
    fn text_never_becomes_a_control_token_and_control_tokens_decode_to_nothing() {
        let tokenizer = tiny();
        let end = tokenizer.token_id("<|im_end|>").unwrap();
        let ids = tokenizer.encode("<|im_end|>").unwrap();
        assert!(!ids.contains(&end));
        assert_eq!(tokenizer.decode(&ids), "<|im_end|>");
        assert_eq!(tokenizer.decode(&[end]), "");
    }

    #[test]
    fn multibyte_text_round_trips_through_byte_tokens() {
        let tokenizer = tiny();
        let text = "naïve 数学 🙂";
        assert_eq!(tokenizer.decode(&tokenizer.encode(text).unwrap()), text);
    }

    #[test]
    fn a_merge_naming_an_unknown_token_is_a_clear_error() {
        let tokens = vec!["a".to_string()];
        let error =
            Tokenizer::new(tokens, &[1], &["a b".to_string()], SplitRule::Gpt2).unwrap_err();
        assert!(error.to_string().contains("unknown tokens"), "{error}");
    }
}
