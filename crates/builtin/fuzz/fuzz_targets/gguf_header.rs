//! Reading a GGUF file must never panic, abort or run out of memory, whatever its bytes: every
//! hostile header is an error. Whatever the header check accepts, candle's reader must read too
//! (the check mirrors it field for field), with tensor data starting at the same byte.

#![no_main]

use std::io::Cursor;

use candle_core::quantized::gguf_file::Content;
use libfuzzer_sys::fuzz_target;
use thinkscale_builtin::Weights;
use thinkscale_builtin::weights::header;

fuzz_target!(|data: &[u8]| {
    let Ok(checked) = header::check(&mut Cursor::new(data)) else { return };
    let content =
        Content::read(&mut Cursor::new(data)).expect("candle reads every header the check accepts");
    assert_eq!(content.tensor_data_offset, checked.data_offset);
    let _ = Weights::read(&mut Cursor::new(data));
});
