//! GPT-2's reversible mapping between bytes and printable characters.
//!
//! Byte-level BPE vocabularies spell every byte as a visible character (a space is `Ġ`, a newline
//! `Ċ`), so that tokens are ordinary strings. Printable Latin-1 bytes stand for themselves; the
//! other 68 bytes are shifted to code points from U+0100 upwards, in byte order.

/// Whether a byte is spelled as itself.
fn is_printable(byte: u8) -> bool {
    matches!(byte, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF)
}

/// The character that spells `byte` in the vocabulary.
pub(crate) fn symbol_of(byte: u8) -> char {
    if is_printable(byte) {
        return char::from(byte);
    }
    let shifted = (0..byte).filter(|&b| !is_printable(b)).count() as u32;
    char::from_u32(256 + shifted).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// The byte a vocabulary character stands for, if it stands for one.
fn byte_of(symbol: char) -> Option<u8> {
    let code = u32::from(symbol);
    if let Ok(byte) = u8::try_from(code) {
        return is_printable(byte).then_some(byte);
    }
    let shifted = usize::try_from(code.checked_sub(256)?).ok()?;
    (0..=255u8).filter(|&b| !is_printable(b)).nth(shifted)
}

/// The bytes a vocabulary token stands for. Characters outside the mapping (tokens that are not
/// byte-level, such as some special tokens) are kept as their own UTF-8.
pub(super) fn decode_symbols(token: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(token.len());
    for symbol in token.chars() {
        match byte_of(symbol) {
            Some(byte) => out.push(byte),
            None => out.extend_from_slice(symbol.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips_and_space_and_newline_are_the_familiar_symbols() {
        for byte in 0..=255u8 {
            assert_eq!(byte_of(symbol_of(byte)), Some(byte));
        }
        assert_eq!(symbol_of(b' '), 'Ġ');
        assert_eq!(symbol_of(b'\n'), 'Ċ');
        assert_eq!(decode_symbols("ĠhelloĊ"), b" hello\n");
    }
}
