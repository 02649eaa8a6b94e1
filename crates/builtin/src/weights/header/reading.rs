//! The header walker's reading primitives: every read is checked against the bytes left in the
//! file first, so no length a file claims can make the check allocate or seek past its end; and
//! the names of the fields read, for errors.

use std::io::{Read, Seek};

use super::{Walker, gguf};
use crate::Error;

/// The field being read, named in errors only: nothing is formatted while a sound file is read.
#[derive(Clone, Copy)]
pub(super) enum Field<'a> {
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

impl<R: Read + Seek> Walker<'_, R> {
    pub(super) fn remaining(&self) -> u64 {
        self.end.saturating_sub(self.position)
    }

    /// Bytes in a length or count: 8, or 4 in version 1.
    pub(super) fn prefix(&self) -> u64 {
        if self.wide { 8 } else { 4 }
    }

    pub(super) fn ensure(&self, bytes: u64, what: Field<'_>) -> Result<(), Error> {
        if bytes > self.remaining() {
            return Err(gguf(format!(
                "{what} needs {bytes} bytes at byte {}, but the file ends at {}",
                self.position, self.end
            )));
        }
        Ok(())
    }

    pub(super) fn array<const N: usize>(&mut self, what: Field<'_>) -> Result<[u8; N], Error> {
        self.ensure(N as u64, what)?;
        let mut bytes = [0; N];
        self.reader.read_exact(&mut bytes)?;
        self.position += N as u64;
        Ok(bytes)
    }

    pub(super) fn length(&mut self, what: Field<'_>) -> Result<u64, Error> {
        if self.wide {
            Ok(u64::from_le_bytes(self.array(what)?))
        } else {
            Ok(u64::from(u32::from_le_bytes(self.array(what)?)))
        }
    }

    pub(super) fn skip(&mut self, bytes: u64, what: Field<'_>) -> Result<(), Error> {
        self.ensure(bytes, what)?;
        // Within the file (just checked), so the offset fits an i64.
        let offset = i64::try_from(bytes).map_err(|_| gguf(format!("{what} is too long")))?;
        self.reader.seek_relative(offset)?;
        self.position += bytes;
        Ok(())
    }

    /// Reads `bytes` bytes; whether they are all zero.
    pub(super) fn zeros(&mut self, bytes: u64, what: Field<'_>) -> Result<bool, Error> {
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

    pub(super) fn string(&mut self, bytes: u64, what: Field<'_>) -> Result<String, Error> {
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
