//! Re-quantizing a GGUF file to a type that candle has fast kernels for.
//!
//! The default SmolLM2 file is Q4_1, for which candle has no SIMD128 (browser) or AVX (native)
//! dot product; Q4_0 and Q8_0 have both. `scripts/models` calls this once at setup time (through
//! `thinkscale requantize`), so neither the page nor the native model pays for it at load.
//! Tensors of other types, and all metadata, are copied unchanged.

use std::io::{Read, Seek, Write};

use candle_core::Device;
use candle_core::quantized::gguf_file::{self, Content};
use candle_core::quantized::{GgmlDType, QTensor};

use crate::Error;

/// A quantization to convert to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// 4.5 bits per weight: the smallest file with fast kernels.
    Q4_0,
    /// 8.5 bits per weight: the fastest kernels, a larger file.
    Q8_0,
}

impl Target {
    fn dtype(self) -> GgmlDType {
        match self {
            Self::Q4_0 => GgmlDType::Q4_0,
            Self::Q8_0 => GgmlDType::Q8_0,
        }
    }
}

/// What a conversion did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Tensors converted.
    pub converted: usize,
    /// Tensors copied as they were.
    pub copied: usize,
}

/// Reads a GGUF model from `input` and writes it to `output` with every Q4_1 or Q5_0/Q5_1 tensor
/// (types without fast candle kernels) converted to `target`.
pub fn requantize<R: Read + Seek, W: Write + Seek>(
    input: &mut R,
    output: &mut W,
    target: Target,
) -> Result<Summary, Error> {
    crate::weights::header::check(input)?;
    let content = Content::read(input).map_err(|e| Error::Gguf(e.to_string()))?;
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort_by_key(|name| content.tensor_infos.get(*name).map(|info| info.offset));
    let mut tensors: Vec<(String, QTensor)> = Vec::with_capacity(names.len());
    let mut summary = Summary { converted: 0, copied: 0 };
    for name in names {
        let tensor = content.tensor(input, name, &Device::Cpu)?;
        let slow = matches!(tensor.dtype(), GgmlDType::Q4_1 | GgmlDType::Q5_0 | GgmlDType::Q5_1);
        let fits = tensor
            .shape()
            .dims()
            .last()
            .is_some_and(|&width| width % target.dtype().block_size() == 0);
        if slow && fits {
            let dense = tensor.dequantize(&Device::Cpu)?;
            tensors.push((name.clone(), QTensor::quantize(&dense, target.dtype())?));
            summary.converted += 1;
        } else {
            tensors.push((name.clone(), tensor));
            summary.copied += 1;
        }
    }
    let mut metadata: Vec<(&String, &gguf_file::Value)> = content.metadata.iter().collect();
    metadata.sort_by_key(|(key, _)| *key);
    let metadata: Vec<(&str, &gguf_file::Value)> =
        metadata.into_iter().map(|(k, v)| (k.as_str(), v)).collect();
    let tensors: Vec<(&str, &QTensor)> =
        tensors.iter().map(|(name, tensor)| (name.as_str(), tensor)).collect();
    gguf_file::write(output, &metadata, &tensors)?;
    Ok(summary)
}
