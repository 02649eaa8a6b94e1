//! The forward pass of a llama-family decoder over a batch of sequences.
//!
//! Written on candle's tensors and quantized matrix products rather than taken from
//! `candle-transformers`, because the built-in model needs what those models keep private: a
//! cache that can be forked from one prompt into many rows and shrunk as rows finish. Attention
//! is grouped-query without copying keys: the query heads that share a key/value head are folded
//! into one matrix product.

use candle_core::{DType, Device, Module, Tensor};

use crate::kv_cache::KvCache;
use crate::weights::{Architecture, Block, Weights};

/// Rotary position tables, `(positions, head_dim / 2)`.
#[derive(Debug)]
pub(crate) struct Rotary {
    cos: Tensor,
    sin: Tensor,
    interleaved: bool,
}

impl Rotary {
    /// Tables for `positions` positions.
    pub(crate) fn new(weights: &Weights, positions: usize) -> candle_core::Result<Self> {
        let config = &weights.config;
        let half = config.head_dim / 2;
        let inverse: Vec<f32> = (0..half)
            .map(|i| 1.0 / config.rope_theta.powf(2.0 * i as f32 / config.head_dim as f32))
            .collect();
        let inverse = Tensor::from_vec(inverse, (1, half), &Device::Cpu)?;
        let steps = Tensor::arange(0u32, positions as u32, &Device::Cpu)?
            .to_dtype(DType::F32)?
            .reshape((positions, 1))?;
        let angles = steps.matmul(&inverse)?;
        Ok(Self {
            cos: angles.cos()?,
            sin: angles.sin()?,
            // llama.cpp stores llama weights permuted for interleaved pairs; qwen2 keeps halves.
            interleaved: config.architecture == Architecture::Llama,
        })
    }

    /// Positions the tables cover.
    pub(crate) fn positions(&self) -> usize {
        self.cos.dims().first().copied().unwrap_or(0)
    }

    fn apply(&self, x: &Tensor, start: usize) -> candle_core::Result<Tensor> {
        let len = x.dim(2)?;
        let cos = self.cos.narrow(0, start, len)?;
        let sin = self.sin.narrow(0, start, len)?;
        if self.interleaved {
            candle_nn::rotary_emb::rope_i(&x.contiguous()?, &cos, &sin)
        } else {
            candle_nn::rotary_emb::rope(&x.contiguous()?, &cos, &sin)
        }
    }
}

/// Runs `tokens` (`batch × new`, row-major) through the model, appending to `cache`, and returns
/// the logits of each row's last token, `(batch, vocab)`.
pub(crate) fn forward(
    weights: &Weights,
    rotary: &Rotary,
    cache: &mut KvCache,
    tokens: &[u32],
) -> candle_core::Result<Tensor> {
    let batch = cache.batch();
    let new = tokens.len() / batch.max(1);
    if new == 0 || new * batch != tokens.len() {
        candle_core::bail!("{} tokens do not fill a batch of {batch}", tokens.len());
    }
    let start = cache.len();
    if start + new > rotary.positions() {
        candle_core::bail!("the context is full ({} positions)", rotary.positions());
    }
    let ids = Tensor::from_slice(tokens, (batch, new), &Device::Cpu)?;
    let mut x = weights.embeddings.embedding(&ids)?;
    let mask = causal_mask(new, start)?;
    for (layer, block) in weights.blocks.iter().enumerate() {
        let eps = weights.config.rms_eps as f32;
        let normed = candle_nn::ops::rms_norm(&x, &block.attn_norm, eps)?;
        let attended =
            attention(weights, rotary, block, layer, cache, &normed, start, mask.as_ref())?;
        x = (x + attended)?;
        let normed = candle_nn::ops::rms_norm(&x, &block.ffn_norm, eps)?;
        let hidden =
            (candle_nn::ops::silu(&block.gate.forward(&normed)?)? * block.up.forward(&normed)?)?;
        x = (x + block.down.forward(&hidden)?)?;
    }
    cache.advance(new);
    let last = x.narrow(1, new - 1, 1)?;
    let normed =
        candle_nn::ops::rms_norm(&last, &weights.output_norm, weights.config.rms_eps as f32)?;
    weights.output.forward(&normed)?.squeeze(1)
}

/// `(new, start + new)` with `-inf` where a new token would see a later one; none for one token.
fn causal_mask(new: usize, start: usize) -> candle_core::Result<Option<Tensor>> {
    if new == 1 {
        return Ok(None);
    }
    let total = start + new;
    let values: Vec<f32> = (0..new)
        .flat_map(|row| {
            (0..total).map(move |col| if col > start + row { f32::NEG_INFINITY } else { 0.0 })
        })
        .collect();
    Tensor::from_vec(values, (new, total), &Device::Cpu).map(Some)
}

#[allow(clippy::too_many_arguments)]
fn attention(
    weights: &Weights,
    rotary: &Rotary,
    block: &Block,
    layer: usize,
    cache: &mut KvCache,
    x: &Tensor,
    start: usize,
    mask: Option<&Tensor>,
) -> candle_core::Result<Tensor> {
    let config = &weights.config;
    let (batch, new, _) = x.dims3()?;
    let (heads, kv_heads, head_dim) = (config.heads, config.kv_heads, config.head_dim);
    let project =
        |matmul: &candle_core::quantized::QMatMul, bias: &Option<Tensor>, count: usize| {
            let mut y = matmul.forward(x)?;
            if let Some(bias) = bias {
                y = y.broadcast_add(bias)?;
            }
            y.reshape((batch, new, count, head_dim))?.transpose(1, 2)?.contiguous()
        };
    let q = rotary.apply(&project(&block.q, &block.q_bias, heads)?, start)?;
    let k = rotary.apply(&project(&block.k, &block.k_bias, kv_heads)?, start)?;
    let v = project(&block.v, &block.v_bias, kv_heads)?;
    let (keys, values) = cache.append(layer, &k, &v)?;
    let total = keys.dim(2)?;

    // Fold the query heads of each key/value head into rows: (batch, kv, group × new, dim).
    let group = heads / kv_heads;
    let q = q.reshape((batch, kv_heads, group * new, head_dim))?;
    let scale = 1.0 / (head_dim as f64).sqrt();
    let mut scores = (q.matmul(&keys.t()?)? * scale)?;
    if let Some(mask) = mask {
        scores = scores
            .reshape((batch, kv_heads, group, new, total))?
            .broadcast_add(mask)?
            .reshape((batch, kv_heads, group * new, total))?;
    }
    let probabilities = candle_nn::ops::softmax_last_dim(&scores)?;
    let out = probabilities.matmul(&values)?;
    let out = out.reshape((batch, heads, new, head_dim))?.transpose(1, 2)?.reshape((
        batch,
        new,
        heads * head_dim,
    ))?;
    block.out.forward(&out)
}
