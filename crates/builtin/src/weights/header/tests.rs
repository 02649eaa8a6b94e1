//! The header check on crafted files: sound ones pass where candle reads them, hostile ones are
//! refused with the problem named.

use std::io::Cursor;

use super::*;
use crate::testutil::{self, ARRAY, Gguf, STRING, U32};

fn checked(bytes: &[u8]) -> Result<Header, String> {
    check(&mut Cursor::new(bytes)).map_err(|error| error.to_string())
}

fn refused(bytes: &[u8]) -> String {
    let message = checked(bytes).expect_err("the header was accepted");
    assert!(message.starts_with("not a usable GGUF model file"), "{message}");
    message
}

/// A file whose only metadata entry is `key` with the raw `value`.
fn one_entry(key: &str, kind: u32, value: &[u8]) -> Vec<u8> {
    Gguf::default().raw(key, kind, value).bytes()
}

#[test]
fn a_sound_file_passes_and_its_data_starts_where_candle_reads_it() {
    let bytes = testutil::tiny_model().bytes();
    let header = checked(&bytes).unwrap();
    let mut reader = Cursor::new(bytes.as_slice());
    let content = candle_core::quantized::gguf_file::Content::read(&mut reader).unwrap();
    assert_eq!(header.data_offset, content.tensor_data_offset);
    assert_eq!(header.tensors as usize, content.tensor_infos.len());
    assert_eq!(header.metadata as usize, content.metadata.len());
}

#[test]
fn version_one_files_have_32_bit_lengths() {
    let mut bytes = b"GGUF".to_vec();
    for word in [1u32, 0, 1, 7] {
        bytes.extend(word.to_le_bytes()); // version, tensors, entries, key length
    }
    bytes.extend(b"general");
    bytes.extend(STRING.to_le_bytes());
    bytes.extend(2u32.to_le_bytes());
    bytes.extend(b"ok");
    let header = checked(&bytes).unwrap();
    assert_eq!((header.version, header.metadata), (1, 1));
    let content =
        candle_core::quantized::gguf_file::Content::read(&mut Cursor::new(&bytes)).unwrap();
    assert_eq!(header.data_offset, content.tensor_data_offset);
    bytes.truncate(bytes.len() - 1);
    assert!(refused(&bytes).contains("holds a string of 2 bytes"));
}

#[test]
fn the_reader_is_left_where_it_was() {
    let bytes = testutil::tiny_model().bytes();
    let mut reader = Cursor::new(bytes.as_slice());
    check(&mut reader).unwrap();
    assert_eq!(reader.position(), 0);
}

#[test]
fn an_alignment_of_zero_is_refused_not_divided_by() {
    let bytes = testutil::tiny_model().u32("general.alignment", 0).bytes();
    let message = refused(&bytes);
    assert!(message.contains("general.alignment is 0"), "{message}");
}

#[test]
fn an_alignment_must_be_a_power_of_two_and_an_integer() {
    let message = refused(&Gguf::default().u32("general.alignment", 24).bytes());
    assert!(message.contains("power of two"), "{message}");
    let message = refused(&Gguf::default().string("general.alignment", "32").bytes());
    assert!(message.contains("general.alignment has type string"), "{message}");
    let message = refused(&one_entry("general.alignment", 5, &(-32i32).to_le_bytes()));
    assert!(message.contains("negative"), "{message}");
    assert!(checked(&Gguf::default().u32("general.alignment", 64).bytes()).is_ok());
    // candle drops trailing NULs from keys, so this is the alignment too.
    let message = refused(&Gguf::default().u32("general.alignment\0\0", 0).bytes());
    assert!(message.contains("general.alignment is 0"), "{message}");
    assert!(checked(&Gguf::default().u32("general.alignment\0x", 0).bytes()).is_ok());
}

#[test]
fn a_string_longer_than_the_file_is_refused() {
    let mut value = (1u64 << 20).to_le_bytes().to_vec();
    value.extend(b"short");
    let message = refused(&one_entry("general.name", STRING, &value));
    assert!(message.contains("metadata entry 0 holds a string of 1048576 bytes"), "{message}");
    assert!(message.contains("the file ends at"), "{message}");
    let mut value = u64::MAX.to_le_bytes().to_vec();
    value.extend(b"short");
    let message = refused(&one_entry("general.name", STRING, &value));
    assert!(message.contains("a string of 18446744073709551615 bytes"), "{message}");
    // The same for a key.
    let mut bytes = Gguf::default().u32("general.alignment", 32).bytes();
    bytes.splice(24..32, (1u64 << 40).to_le_bytes());
    let message = refused(&bytes);
    assert!(message.contains("key of 1099511627776 bytes"), "{message}");
}

#[test]
fn an_array_longer_than_the_file_is_refused() {
    let mut value = 0u32.to_le_bytes().to_vec(); // of u8
    value.extend(1000u64.to_le_bytes());
    value.extend([1, 2, 3]);
    let message = refused(&one_entry("tokenizer.ggml.scores", ARRAY, &value));
    assert!(message.contains("array of 1000 items needing at least 1000 bytes"), "{message}");
    // Strings take at least their 8-byte length each.
    let mut value = STRING.to_le_bytes().to_vec();
    value.extend(100u64.to_le_bytes());
    value.extend([0; 200]);
    let message = refused(&one_entry("tokenizer.ggml.tokens", ARRAY, &value));
    assert!(message.contains("at least 800 bytes"), "{message}");
}

#[test]
fn metadata_arrays_are_bounded_in_items_not_only_in_bytes() {
    // One-byte items fit the file but would become 32-byte values in candle's reader.
    let count = MAX_METADATA_ITEMS + 1;
    let mut value = 0u32.to_le_bytes().to_vec();
    value.extend(count.to_le_bytes());
    value.resize(value.len() + count as usize, 0);
    let message = refused(&one_entry("general.junk", ARRAY, &value));
    assert!(message.contains(&format!("more than {MAX_METADATA_ITEMS} items")), "{message}");
}

#[test]
fn counts_the_file_cannot_hold_are_refused() {
    let message = refused(&Gguf::default().claiming_tensors(0xFFFF_FFFF).bytes());
    assert!(message.contains("4294967295 tensors"), "{message}");
    let message = refused(&Gguf::default().claiming_tensors(1000).bytes());
    assert!(message.contains("1000 tensors, but only"), "{message}");
    let file = Gguf::default().claiming_metadata(u64::MAX);
    assert!(refused(&file.bytes()).contains("metadata entries"));
    let file = Gguf::default().u32("a", 1).claiming_metadata(3);
    assert!(refused(&file.bytes()).contains("the file ends at"));
}

#[test]
fn tensor_dimensions_whose_product_overflows_are_refused() {
    let huge = 1u64 << 32;
    let file = Gguf::default().tensor_info("t", &[huge, huge, huge], 0, 0);
    let message = refused(&file.bytes());
    assert!(message.contains("tensor t has more elements than any file can hold"), "{message}");
}

#[test]
fn tensor_data_past_the_end_of_the_file_is_refused() {
    let file = Gguf::default().tensor("t", &[4], &[1.0; 4]);
    assert!(checked(&file.bytes()).is_ok());
    let file = Gguf::default().tensor_info("t", &[4], 0, 1 << 20);
    let message = refused(&file.bytes());
    assert!(message.contains("tensor t: its 16 bytes at offset 1048576"), "{message}");
    let file = Gguf::default().tensor_info("t", &[4], 0, u64::MAX - 4);
    assert!(refused(&file.bytes()).contains("past the end"));
    let file = Gguf::default().tensor_info("t", &[1 << 40], 0, 0);
    assert!(refused(&file.bytes()).contains("past the end"));
}

#[test]
fn malformed_tensor_descriptions_are_refused() {
    let cases: [(Gguf, &str); 5] = [
        (Gguf::default().tensor_info("t", &[1, 1, 1, 1, 1], 0, 0), "5 dimensions"),
        (Gguf::default().tensor_info("t", &[0, 4], 0, 0), "dimension of zero"),
        (Gguf::default().tensor_info("t", &[32], 4, 0), "unknown type 4"),
        (Gguf::default().tensor_info("t", &[33], 8, 0), "not a multiple of its Q8_0 block"),
        (Gguf::default().tensor_info(&"n".repeat(70_000), &[1], 0, 0), "a name of 70000"),
    ];
    for (file, expected) in cases {
        let message = refused(&file.bytes());
        assert!(message.contains(expected), "{message}");
    }
}

#[test]
fn malformed_values_are_refused() {
    assert!(refused(&one_entry("k", 13, &[0; 8])).contains("unknown value type 13"));
    assert!(refused(&one_entry("k", 7, &[2])).contains("boolean of value 2"));
    // Found by fuzzing: an empty array of an unknown type, which candle refuses.
    let mut value = 17u32.to_le_bytes().to_vec();
    value.extend(0u64.to_le_bytes());
    assert!(refused(&one_entry("k", ARRAY, &value)).contains("array of unknown value type 17"));
    let mut value = 7u32.to_le_bytes().to_vec(); // an array of booleans
    value.extend(2u64.to_le_bytes());
    value.extend([1, 5]);
    assert!(refused(&one_entry("k", ARRAY, &value)).contains("boolean of value 5"));
    // Arrays of arrays nested deeper than any model needs.
    let nested = |depth: u32| {
        let mut value = Vec::new();
        for _ in 0..depth {
            value.extend(ARRAY.to_le_bytes());
            value.extend(1u64.to_le_bytes());
        }
        value.extend(U32.to_le_bytes());
        value.extend(0u64.to_le_bytes());
        one_entry("k", ARRAY, &value)
    };
    assert!(checked(&nested(MAX_DEPTH - 1)).is_ok());
    assert!(refused(&nested(MAX_DEPTH)).contains("nests arrays more than 8 deep"));
    assert!(refused(b"GGUF").contains("the GGUF version"));
    assert!(refused(b"<html>404</html>").contains("does not start with GGUF"));
    assert!(refused(b"GGUF\x04\0\0\0").contains("version 4"));
}

#[test]
fn every_truncation_of_a_sound_file_is_an_error() {
    let bytes = testutil::tiny_model().bytes();
    for cut in 0..bytes.len() {
        assert!(checked(&bytes[..cut]).is_err(), "a file cut at {cut} bytes was accepted");
    }
}
