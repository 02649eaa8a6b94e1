//! The key/value cache, shaped for many sequences that share one prompt.
//!
//! A prompt is prefilled once with batch 1; [`KvCache::fork`] then copies its keys and values into
//! every row of a batch, and all rows decode in lockstep (so they share positions). Rows whose
//! sequence has finished are dropped with [`KvCache::keep`], so a finished sample costs nothing
//! further. Storage grows in steps instead of being reserved for the longest possible answer:
//! in the browser, memory is the scarcer resource.

use candle_core::{DType, Device, Tensor};

use crate::weights::Config;

/// Positions added whenever the cache has to grow.
pub(crate) const GROWTH: usize = 128;

/// Bytes one position of one sequence takes: its keys and values (f32) in every layer.
pub(crate) fn bytes_per_position(config: &Config) -> u64 {
    [config.layers, config.kv_heads, config.head_dim, 2 * std::mem::size_of::<f32>()]
        .into_iter()
        .fold(1u64, |bytes, factor| bytes.saturating_mul(factor as u64))
}

/// Keys and values of every layer, each `(batch, kv_heads, capacity, head_dim)`.
#[derive(Debug)]
pub(crate) struct KvCache {
    keys: Vec<Tensor>,
    values: Vec<Tensor>,
    len: usize,
    batch: usize,
    kv_heads: usize,
    head_dim: usize,
}

impl KvCache {
    /// An empty cache for `batch` sequences.
    pub(crate) fn new(config: &Config, batch: usize) -> Self {
        Self {
            keys: Vec::with_capacity(config.layers),
            values: Vec::with_capacity(config.layers),
            len: 0,
            batch,
            kv_heads: config.kv_heads,
            head_dim: config.head_dim,
        }
    }

    /// Positions filled so far.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Sequences in the batch.
    pub(crate) fn batch(&self) -> usize {
        self.batch
    }

    /// Writes `keys`/`values` (`(batch, kv_heads, new, head_dim)`) for `layer` after the filled
    /// positions and returns all keys and values so far. Call for every layer in order, then
    /// [`KvCache::advance`].
    pub(crate) fn append(
        &mut self,
        layer: usize,
        keys: &Tensor,
        values: &Tensor,
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let new = keys.dim(2)?;
        let needed = self.len + new;
        if layer == self.keys.len() {
            self.keys.push(self.storage(needed)?);
            self.values.push(self.storage(needed)?);
        }
        let (Some(key_store), Some(value_store)) =
            (self.keys.get_mut(layer), self.values.get_mut(layer))
        else {
            candle_core::bail!("layer {layer} appended out of order");
        };
        for (store, fresh) in [(&mut *key_store, keys), (&mut *value_store, values)] {
            if store.dim(2)? < needed {
                let grown = Self::zeros(self.batch, self.kv_heads, needed + GROWTH, self.head_dim)?;
                grown.slice_set(&store.narrow(2, 0, self.len)?.contiguous()?, 2, 0)?;
                *store = grown;
            }
            store.slice_set(&fresh.contiguous()?, 2, self.len)?;
        }
        Ok((key_store.narrow(2, 0, needed)?, value_store.narrow(2, 0, needed)?))
    }

    /// Marks `new` positions as filled, after every layer has appended them.
    pub(crate) fn advance(&mut self, new: usize) {
        self.len += new;
    }

    /// A cache of `batch` rows, each a copy of this single-row cache (the shared prompt).
    pub(crate) fn fork(&self, batch: usize) -> candle_core::Result<Self> {
        let copy = |stores: &[Tensor]| -> candle_core::Result<Vec<Tensor>> {
            stores
                .iter()
                .map(|store| {
                    let filled = store.narrow(0, 0, 1)?.narrow(2, 0, self.len)?;
                    let grown =
                        Self::zeros(batch, self.kv_heads, self.len + GROWTH, self.head_dim)?;
                    let rows =
                        filled.broadcast_as((batch, self.kv_heads, self.len, self.head_dim))?;
                    grown.slice_set(&rows.contiguous()?, 2, 0)?;
                    Ok(grown)
                })
                .collect()
        };
        Ok(Self { keys: copy(&self.keys)?, values: copy(&self.values)?, batch, ..*self })
    }

    /// Keeps only the given rows, in that order.
    pub(crate) fn keep(&mut self, rows: &[u32]) -> candle_core::Result<()> {
        if rows.len() == self.batch {
            return Ok(());
        }
        let index = Tensor::new(rows, &Device::Cpu)?;
        for store in self.keys.iter_mut().chain(self.values.iter_mut()) {
            *store = store.index_select(&index, 0)?;
        }
        self.batch = rows.len();
        Ok(())
    }

    fn storage(&self, needed: usize) -> candle_core::Result<Tensor> {
        Self::zeros(self.batch, self.kv_heads, needed + GROWTH, self.head_dim)
    }

    fn zeros(
        batch: usize,
        heads: usize,
        positions: usize,
        head_dim: usize,
    ) -> candle_core::Result<Tensor> {
        Tensor::zeros((batch, heads, positions, head_dim), DType::F32, &Device::Cpu)
    }
}
