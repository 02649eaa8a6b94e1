//! Checking a GGUF file's header before candle reads it.
//!
//! candle's `gguf_file::Content::read` trusts parts of the header: `general.alignment = 0`
//! divides by zero, tensor dimensions can overflow their product, and a tensor's data may lie
//! past the end of the file (found only when the tensor is read, after everything before it was
//! allocated). A file is anything a page was pointed at, so [`check`] walks the whole header
//! first without keeping it, every count bounded by the bytes that remain, and names the first
//! problem. It is written here because the check has to match candle's reader field for field;
//! when it accepts a file, candle's reader does too (the fuzz target asserts this).
//!
//! Beyond candle's own limits it also bounds what candle would build in memory: at most
//! [`MAX_TENSORS`] tensors, [`MAX_METADATA`] metadata entries and [`MAX_METADATA_ITEMS`] array
//! items in all (each item becomes a value of 32 bytes or more, so a file of one-byte items could
//! otherwise ask for thirty times its size).

use std::io::{Read, Seek, SeekFrom};

use candle_core::quantized::GgmlDType;

use crate::Error;

/// The most tensors a file may declare (large models have a few thousand).
pub const MAX_TENSORS: u64 = 1 << 16;
/// The most metadata entries a file may declare (models have a few dozen).
pub const MAX_METADATA: u64 = 1 << 16;
/// The most array items all metadata may hold together: room for a vocabulary of 256k tokens
/// with its token types and merges, several times over.
pub const MAX_METADATA_ITEMS: u64 = 1 << 21;
/// The longest key or tensor name (GGUF limits keys to 65,535 bytes; ggml names to 64).
const MAX_NAME: u64 = u16::MAX as u64;
/// The longest string value (candle's limit).
const MAX_STRING: u64 = 1 << 30;
/// How deep arrays of arrays may nest (no model uses nesting at all).
const MAX_DEPTH: u32 = 8;
/// The most dimensions of a tensor (ggml's `GGML_MAX_DIMS`).
const MAX_DIMS: u32 = 4;
/// Where tensor data starts when `general.alignment` is absent.
const DEFAULT_ALIGNMENT: u64 = 32;

/// What the header declares, once it has been checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The GGUF version (1, 2 or 3).
    pub version: u32,
    /// Tensors described.
    pub tensors: u64,
    /// Metadata entries.
    pub metadata: u64,
    /// Where tensor data starts, from the start of the file.
    pub data_offset: u64,
}

/// Walks the GGUF header of `reader` (from its current position to the end of the tensor
/// descriptions) and checks that every length fits in the file, every tensor's data lies inside
/// it and `general.alignment` is a non-zero power of two. Leaves the reader where it was.
pub fn check<R: Read + Seek>(reader: &mut R) -> Result<Header, Error> {
    let start = reader.stream_position()?;
    let end = reader.seek(SeekFrom::End(0))?;
    reader.seek(SeekFrom::Start(start))?;
    let header = Walker { reader: &mut *reader, position: start, end, wide: true, items: 0 }.walk();
    reader.seek(SeekFrom::Start(start))?;
    header
}

/// One tensor's data, relative to the start of the data section.
struct Span {
    name: String,
    offset: u64,
    bytes: u64,
}

/// The field being read, named in errors only: nothing is formatted while a sound file is read.
#[derive(Clone, Copy)]
enum Field<'a> {
    /// A field of the file's preamble.
    Preamble(&'static str),
    /// A part of a metadata entry, by index.
    Entry(&'static str, u64),
    /// A part of a tensor description, by index (before its name is known).
    TensorAt(&'static str, u64),
    /// A part of a tensor description, by name.
    Tensor(&'static str, &'a str),
}

impl std::fmt::Display for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Preamble(what) => write!(f, "{what}"),
            Self::Entry(part, index) => write!(f, "{part}metadata entry {index}"),
            Self::TensorAt(part, index) => write!(f, "{part}tensor {index}"),
            Self::Tensor(part, name) => write!(f, "{part}tensor {name}"),
        }
    }
}

struct Walker<'r, R> {
    reader: &'r mut R,
    /// Bytes from the start of the file to the next one to read.
    position: u64,
    /// The file's length.
    end: u64,
    /// Whether lengths and counts are 64-bit (versions 2 and 3) or 32-bit (version 1).
    wide: bool,
    /// Array items seen so far, against [`MAX_METADATA_ITEMS`].
    items: u64,
}

impl<R: Read + Seek> Walker<'_, R> {
    fn walk(mut self) -> Result<Header, Error> {
        let magic: [u8; 4] = self.array(Field::Preamble("the GGUF magic"))?;
        if &magic != b"GGUF" {
            return Err(gguf(format!("it does not start with GGUF (found {magic:02x?})")));
        }
        let version = u32::from_le_bytes(self.array(Field::Preamble("the GGUF version"))?);
        if !(1..=3).contains(&version) {
            return Err(gguf(format!("GGUF version {version} is not supported (1 to 3 are)")));
        }
        self.wide = version > 1;
        let tensors = self.length(Field::Preamble("the tensor count"))?;
        let metadata = self.length(Field::Preamble("the metadata count"))?;
        if tensors > MAX_TENSORS {
            return Err(gguf(format!("it declares {tensors} tensors (at most {MAX_TENSORS})")));
        }
        if metadata > MAX_METADATA {
            return Err(gguf(format!(
                "it declares {metadata} metadata entries (at most {MAX_METADATA})"
            )));
        }
        let mut alignment = DEFAULT_ALIGNMENT;
        for entry in 0..metadata {
            if let Some(value) = self.entry(entry)? {
                alignment = value;
            }
        }
        // Each tensor description takes at least a name length, a dimension count, a type and
        // an offset: a count the rest of the file cannot hold fails before anything is reserved.
        let smallest = self.prefix() + 16;
        if tensors.saturating_mul(smallest) > self.remaining() {
            return Err(gguf(format!(
                "it declares {tensors} tensors, but only {} bytes follow the metadata",
                self.remaining()
            )));
        }
        let mut spans = Vec::with_capacity(usize::try_from(tensors).unwrap_or(0));
        for index in 0..tensors {
            spans.push(self.tensor(index)?);
        }
        let data_offset = self
            .position
            .div_ceil(alignment)
            .checked_mul(alignment)
            .ok_or_else(|| gguf(format!("general.alignment {alignment} is too large")))?;
        for span in &spans {
            let start = data_offset.checked_add(span.offset);
            let end = start.and_then(|start| start.checked_add(span.bytes));
            if end.is_none_or(|end| end > self.end) {
                return Err(gguf(format!(
                    "tensor {}: its {} bytes at offset {} after the header (byte {data_offset}) \
                     lie past the end of the file ({} bytes): the file is truncated or corrupt",
                    span.name, span.bytes, span.offset, self.end
                )));
            }
        }
        Ok(Header { version, tensors, metadata, data_offset })
    }

    /// One metadata entry; returns the alignment when the entry is `general.alignment`.
    fn entry(&mut self, entry: u64) -> Result<Option<u64>, Error> {
        let key = Field::Entry("the key of ", entry);
        let length = self.length(key)?;
        if length > MAX_NAME {
            return Err(gguf(format!(
                "metadata entry {entry} has a key of {length} bytes (at most {MAX_NAME})"
            )));
        }
        const ALIGNMENT: &[u8] = b"general.alignment";
        // candle drops a key's trailing NULs, so "general.alignment\0" is the alignment too.
        let is_alignment = match length.checked_sub(ALIGNMENT.len() as u64) {
            Some(rest) => {
                let start: [u8; ALIGNMENT.len()] = self.array(key)?;
                let nulls = self.zeros(rest, key)?;
                start == ALIGNMENT && nulls
            }
            None => {
                self.skip(length, key)?;
                false
            }
        };
        let kind = u32::from_le_bytes(self.array(Field::Entry("the type of ", entry))?);
        let value = self.value(kind, 0, Field::Entry("", entry))?;
        if !is_alignment {
            return Ok(None);
        }
        // Types as candle reads them (it ignores any other); a negative value is refused too.
        let alignment = match value {
            Scalar::Unsigned(value) if kind != U64 => value,
            Scalar::Signed(value) if kind != I64 && value >= 0 => value.unsigned_abs(),
            Scalar::Signed(value) if kind != I64 => {
                return Err(gguf(format!("general.alignment is negative ({value})")));
            }
            _ => {
                return Err(gguf(format!(
                    "general.alignment has type {}; it must be a 32-bit integer",
                    type_name(kind)
                )));
            }
        };
        if !alignment.is_power_of_two() {
            return Err(gguf(format!(
                "general.alignment is {alignment}; it must be a power of two (usually 32)"
            )));
        }
        Ok(Some(alignment))
    }

    /// Skips over one value of type `kind`, checking it; returns it when it is an integer.
    fn value(&mut self, kind: u32, depth: u32, what: Field<'_>) -> Result<Scalar, Error> {
        Ok(match kind {
            U8 | BOOL => {
                let [byte] = self.array(what)?;
                if kind == BOOL && byte > 1 {
                    return Err(gguf(format!("{what} is a boolean of value {byte} (not 0 or 1)")));
                }
                Scalar::Unsigned(u64::from(byte))
            }
            I8 => Scalar::Signed(i64::from(i8::from_le_bytes(self.array(what)?))),
            U16 => Scalar::Unsigned(u64::from(u16::from_le_bytes(self.array(what)?))),
            I16 => Scalar::Signed(i64::from(i16::from_le_bytes(self.array(what)?))),
            U32 => Scalar::Unsigned(u64::from(u32::from_le_bytes(self.array(what)?))),
            I32 => Scalar::Signed(i64::from(i32::from_le_bytes(self.array(what)?))),
            U64 => Scalar::Unsigned(u64::from_le_bytes(self.array(what)?)),
            I64 => Scalar::Signed(i64::from_le_bytes(self.array(what)?)),
            F32 | F64 => {
                self.skip(fixed_size(kind).unwrap_or(8), what)?;
                Scalar::Other
            }
            STRING => {
                let length = self.length(what)?;
                if length > MAX_STRING || length > self.remaining() {
                    return Err(gguf(format!(
                        "{what} holds a string of {length} bytes at byte {}, but the file ends \
                         at {}",
                        self.position, self.end
                    )));
                }
                self.skip(length, what)?;
                Scalar::Other
            }
            ARRAY => {
                self.array_items(depth, what)?;
                Scalar::Other
            }
            other => return Err(gguf(format!("{what} has an unknown value type {other}"))),
        })
    }

    fn array_items(&mut self, depth: u32, what: Field<'_>) -> Result<(), Error> {
        if depth >= MAX_DEPTH {
            return Err(gguf(format!("{what} nests arrays more than {MAX_DEPTH} deep")));
        }
        let kind = u32::from_le_bytes(self.array(what)?);
        // Checked even when the array is empty: candle refuses an unknown item type up front.
        if kind > F64 {
            return Err(gguf(format!("{what} is an array of unknown value type {kind}")));
        }
        let count = self.length(what)?;
        self.items = self.items.saturating_add(count);
        if self.items > MAX_METADATA_ITEMS {
            return Err(gguf(format!(
                "its metadata arrays hold more than {MAX_METADATA_ITEMS} items in all \
                 ({what} adds {count})"
            )));
        }
        // Every item takes at least one byte (a string its length, an array its type and count).
        let smallest = match kind {
            STRING => self.prefix(),
            ARRAY => 4 + self.prefix(),
            other => fixed_size(other).unwrap_or(1),
        };
        let needed = count.saturating_mul(smallest);
        if needed > self.remaining() {
            return Err(gguf(format!(
                "{what} is an array of {count} items needing at least {needed} bytes, but only \
                 {} remain",
                self.remaining()
            )));
        }
        match fixed_size(kind) {
            // Numbers: nothing to check item by item.
            Some(size) if kind != BOOL => self.skip(count.saturating_mul(size), what),
            _ => {
                for _ in 0..count {
                    self.value(kind, depth + 1, what)?;
                }
                Ok(())
            }
        }
    }

    fn tensor(&mut self, index: u64) -> Result<Span, Error> {
        let length = self.length(Field::TensorAt("the name length of ", index))?;
        if length > MAX_NAME {
            return Err(gguf(format!(
                "tensor {index} has a name of {length} bytes (at most {MAX_NAME})"
            )));
        }
        let name = self.string(length, Field::TensorAt("the name of ", index))?;
        let dims = u32::from_le_bytes(self.array(Field::Tensor("the dimension count of ", &name))?);
        if dims > MAX_DIMS {
            return Err(gguf(format!("tensor {name} has {dims} dimensions (at most {MAX_DIMS})")));
        }
        let mut elements: u64 = 1;
        for _ in 0..dims {
            let dim = self.length(Field::Tensor("a dimension of ", &name))?;
            elements = elements.checked_mul(dim).ok_or_else(|| {
                gguf(format!("tensor {name} has more elements than any file can hold"))
            })?;
        }
        // Zero elements would hand candle an empty, misaligned buffer; no model has such a tensor.
        if elements == 0 {
            return Err(gguf(format!("tensor {name} has a dimension of zero")));
        }
        if usize::try_from(elements).is_err() {
            return Err(gguf(format!("tensor {name} has more elements than any file can hold")));
        }
        let kind = u32::from_le_bytes(self.array(Field::Tensor("the type of ", &name))?);
        let dtype =
            dtype(kind).ok_or_else(|| gguf(format!("tensor {name} has an unknown type {kind}")))?;
        let block = dtype.block_size() as u64;
        if !elements.is_multiple_of(block) {
            return Err(gguf(format!(
                "tensor {name} has {elements} elements, not a multiple of its {dtype:?} block of \
                 {block}"
            )));
        }
        let bytes = (elements / block).checked_mul(dtype.type_size() as u64).ok_or_else(|| {
            gguf(format!("tensor {name} has more elements than any file can hold"))
        })?;
        let offset = u64::from_le_bytes(self.array(Field::Tensor("the offset of ", &name))?);
        Ok(Span { name, offset, bytes })
    }

    fn remaining(&self) -> u64 {
        self.end.saturating_sub(self.position)
    }

    /// Bytes in a length or count: 8, or 4 in version 1.
    fn prefix(&self) -> u64 {
        if self.wide { 8 } else { 4 }
    }

    fn ensure(&self, bytes: u64, what: Field<'_>) -> Result<(), Error> {
        if bytes > self.remaining() {
            return Err(gguf(format!(
                "{what} needs {bytes} bytes at byte {}, but the file ends at {}",
                self.position, self.end
            )));
        }
        Ok(())
    }

    fn array<const N: usize>(&mut self, what: Field<'_>) -> Result<[u8; N], Error> {
        self.ensure(N as u64, what)?;
        let mut bytes = [0; N];
        self.reader.read_exact(&mut bytes)?;
        self.position += N as u64;
        Ok(bytes)
    }

    fn length(&mut self, what: Field<'_>) -> Result<u64, Error> {
        if self.wide {
            Ok(u64::from_le_bytes(self.array(what)?))
        } else {
            Ok(u64::from(u32::from_le_bytes(self.array(what)?)))
        }
    }

    fn skip(&mut self, bytes: u64, what: Field<'_>) -> Result<(), Error> {
        self.ensure(bytes, what)?;
        // Within the file (just checked), so the offset fits an i64.
        let offset = i64::try_from(bytes).map_err(|_| gguf(format!("{what} is too long")))?;
        self.reader.seek_relative(offset)?;
        self.position += bytes;
        Ok(())
    }

    /// Reads `bytes` bytes; whether they are all zero.
    fn zeros(&mut self, bytes: u64, what: Field<'_>) -> Result<bool, Error> {
        self.ensure(bytes, what)?;
        let mut zeros = true;
        let mut left = bytes;
        let mut buffer = [0u8; 64];
        while left > 0 {
            let take = buffer.len().min(usize::try_from(left).unwrap_or(buffer.len()));
            let part = buffer.get_mut(..take).unwrap_or_default();
            self.reader.read_exact(part)?;
            zeros &= part.iter().all(|&byte| byte == 0);
            left -= take as u64;
        }
        self.position += bytes;
        Ok(zeros)
    }

    fn string(&mut self, bytes: u64, what: Field<'_>) -> Result<String, Error> {
        self.ensure(bytes, what)?;
        let mut text = Vec::new();
        (&mut *self.reader).take(bytes).read_to_end(&mut text)?;
        if text.len() as u64 != bytes {
            return Err(gguf(format!("{what} is cut off")));
        }
        self.position += bytes;
        Ok(String::from_utf8_lossy(&text).into_owned())
    }
}

/// A metadata value, as far as the check needs it.
enum Scalar {
    Unsigned(u64),
    Signed(i64),
    Other,
}

// GGUF value types.
const U8: u32 = 0;
const I8: u32 = 1;
const U16: u32 = 2;
const I16: u32 = 3;
const U32: u32 = 4;
const I32: u32 = 5;
const F32: u32 = 6;
const BOOL: u32 = 7;
const STRING: u32 = 8;
const ARRAY: u32 = 9;
const U64: u32 = 10;
const I64: u32 = 11;
const F64: u32 = 12;

/// The size of a value of a fixed-size type.
fn fixed_size(kind: u32) -> Option<u64> {
    match kind {
        U8 | I8 | BOOL => Some(1),
        U16 | I16 => Some(2),
        U32 | I32 | F32 => Some(4),
        U64 | I64 | F64 => Some(8),
        _ => None,
    }
}

fn type_name(kind: u32) -> &'static str {
    match kind {
        U8 => "u8",
        I8 => "i8",
        U16 => "u16",
        I16 => "i16",
        U32 => "u32",
        I32 => "i32",
        F32 => "f32",
        BOOL => "bool",
        STRING => "string",
        ARRAY => "array",
        U64 => "u64",
        I64 => "i64",
        F64 => "f64",
        _ => "unknown",
    }
}

/// The tensor types candle reads (ggml's numbering).
fn dtype(kind: u32) -> Option<GgmlDType> {
    Some(match kind {
        0 => GgmlDType::F32,
        1 => GgmlDType::F16,
        2 => GgmlDType::Q4_0,
        3 => GgmlDType::Q4_1,
        6 => GgmlDType::Q5_0,
        7 => GgmlDType::Q5_1,
        8 => GgmlDType::Q8_0,
        9 => GgmlDType::Q8_1,
        10 => GgmlDType::Q2K,
        11 => GgmlDType::Q3K,
        12 => GgmlDType::Q4K,
        13 => GgmlDType::Q5K,
        14 => GgmlDType::Q6K,
        15 => GgmlDType::Q8K,
        30 => GgmlDType::BF16,
        _ => return None,
    })
}

fn gguf(message: String) -> Error {
    Error::Gguf(message)
}

#[cfg(test)]
mod tests {
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
}
