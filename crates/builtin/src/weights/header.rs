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

use crate::Error;

mod reading;
mod types;

use reading::Field;
use types::*;

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
}

fn gguf(message: String) -> Error {
    Error::Gguf(message)
}

#[cfg(test)]
mod tests;
