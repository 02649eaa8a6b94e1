//! Test helpers: a small GGUF writer that can also write the lies a hostile file tells, and a
//! tiny working model (two layers of width 8 over a byte vocabulary) written with it.

use crate::tokenizer::symbol_of;

// GGUF value types.
pub(crate) const U32: u32 = 4;
pub(crate) const F32: u32 = 6;
pub(crate) const STRING: u32 = 8;
pub(crate) const ARRAY: u32 = 9;
pub(crate) const I32: u32 = 5;
/// The ggml type of f32 tensors.
const TENSOR_F32: u32 = 0;

/// A GGUF file being written. Counts are whatever was added unless overridden, so a test can
/// make the header claim more than the file holds.
#[derive(Debug, Clone, Default)]
pub(crate) struct Gguf {
    metadata: Vec<u8>,
    metadata_count: u64,
    tensors: Vec<u8>,
    tensor_count: u64,
    data: Vec<u8>,
    claimed_tensors: Option<u64>,
    claimed_metadata: Option<u64>,
}

impl Gguf {
    /// Declares `count` tensors whatever was added.
    pub(crate) fn claiming_tensors(self, count: u64) -> Self {
        Self { claimed_tensors: Some(count), ..self }
    }

    /// Declares `count` metadata entries whatever was added.
    pub(crate) fn claiming_metadata(self, count: u64) -> Self {
        Self { claimed_metadata: Some(count), ..self }
    }

    /// An entry with a raw value (`value` already encoded for type `kind`).
    pub(crate) fn raw(mut self, key: &str, kind: u32, value: &[u8]) -> Self {
        put_string(&mut self.metadata, key);
        self.metadata.extend(kind.to_le_bytes());
        self.metadata.extend(value);
        self.metadata_count += 1;
        self
    }

    pub(crate) fn u32(self, key: &str, value: u32) -> Self {
        self.raw(key, U32, &value.to_le_bytes())
    }

    pub(crate) fn f32(self, key: &str, value: f32) -> Self {
        self.raw(key, F32, &value.to_le_bytes())
    }

    pub(crate) fn string(self, key: &str, value: &str) -> Self {
        let mut encoded = Vec::new();
        put_string(&mut encoded, value);
        self.raw(key, STRING, &encoded)
    }

    pub(crate) fn strings(self, key: &str, items: &[String]) -> Self {
        let mut encoded = STRING.to_le_bytes().to_vec();
        encoded.extend((items.len() as u64).to_le_bytes());
        for item in items {
            put_string(&mut encoded, item);
        }
        self.raw(key, ARRAY, &encoded)
    }

    pub(crate) fn i32s(self, key: &str, items: &[i32]) -> Self {
        let mut encoded = I32.to_le_bytes().to_vec();
        encoded.extend((items.len() as u64).to_le_bytes());
        encoded.extend(items.iter().flat_map(|item| item.to_le_bytes()));
        self.raw(key, ARRAY, &encoded)
    }

    /// A tensor description only: `dims` in GGUF order (fastest first), data at `offset`.
    pub(crate) fn tensor_info(mut self, name: &str, dims: &[u64], kind: u32, offset: u64) -> Self {
        put_string(&mut self.tensors, name);
        self.tensors.extend((dims.len() as u32).to_le_bytes());
        for dim in dims {
            self.tensors.extend(dim.to_le_bytes());
        }
        self.tensors.extend(kind.to_le_bytes());
        self.tensors.extend(offset.to_le_bytes());
        self.tensor_count += 1;
        self
    }

    /// An f32 tensor with its data; `dims` in GGUF order (fastest first).
    pub(crate) fn tensor(mut self, name: &str, dims: &[u64], values: &[f32]) -> Self {
        assert_eq!(dims.iter().product::<u64>(), values.len() as u64, "{name}");
        let offset = self.data.len() as u64;
        self.data.extend(values.iter().flat_map(|value| value.to_le_bytes()));
        self.data.resize(self.data.len().next_multiple_of(32), 0);
        self.tensor_info(name, dims, TENSOR_F32, offset)
    }

    /// The whole file (version 3, tensor data aligned to 32 bytes).
    pub(crate) fn bytes(&self) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend(3u32.to_le_bytes());
        out.extend(self.claimed_tensors.unwrap_or(self.tensor_count).to_le_bytes());
        out.extend(self.claimed_metadata.unwrap_or(self.metadata_count).to_le_bytes());
        out.extend(&self.metadata);
        out.extend(&self.tensors);
        out.resize(out.len().next_multiple_of(32), 0);
        out.extend(&self.data);
        out
    }
}

fn put_string(out: &mut Vec<u8>, text: &str) {
    out.extend((text.len() as u64).to_le_bytes());
    out.extend(text.as_bytes());
}

/// Width of the tiny model's residual stream.
pub(crate) const WIDTH: u64 = 8;
/// Its layers.
pub(crate) const LAYERS: u32 = 2;
const FFN: u64 = 16;
const KV_WIDTH: u64 = 4;

/// The tiny model's vocabulary: one token per byte, then the ChatML markers and end of text.
pub(crate) fn vocabulary() -> Vec<String> {
    let mut tokens: Vec<String> = (0..=255u8).map(|byte| symbol_of(byte).to_string()).collect();
    tokens.extend(["<|im_start|>", "<|im_end|>", "<|endoftext|>"].map(String::from));
    tokens
}

/// The tiny model's metadata, without tensors: a llama of width 8, 2 heads, 1 key/value head,
/// claiming `block_count` layers.
pub(crate) fn tiny_metadata(block_count: u32) -> Gguf {
    metadata_over(block_count, &vocabulary())
}

fn metadata_over(block_count: u32, tokens: &[String]) -> Gguf {
    let types: Vec<i32> = (0..tokens.len()).map(|id| if id < 256 { 1 } else { 3 }).collect();
    Gguf::default()
        .string("general.architecture", "llama")
        .u32("llama.block_count", block_count)
        .u32("llama.embedding_length", WIDTH as u32)
        .u32("llama.feed_forward_length", FFN as u32)
        .u32("llama.attention.head_count", 2)
        .u32("llama.attention.head_count_kv", 1)
        .u32("llama.context_length", 256)
        .f32("llama.attention.layer_norm_rms_epsilon", 1e-5)
        .f32("llama.rope.freq_base", 10_000.0)
        .string("tokenizer.ggml.model", "gpt2")
        .string("tokenizer.ggml.pre", "smollm")
        .strings("tokenizer.ggml.tokens", tokens)
        .i32s("tokenizer.ggml.token_type", &types)
        .strings("tokenizer.ggml.merges", &[])
        .u32("tokenizer.ggml.eos_token_id", 258)
        .string(
            "tokenizer.chat_template",
            "{{ '<|im_start|>system\\nYou are tiny.<|im_end|>\\n' }}{{ '<|im_start|>' }}",
        )
}

/// Deterministic small weights.
fn weights(count: u64, seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 2001) as f32 / 1000.0 - 1.0
        })
        .collect()
}

/// The tensors of one layer, added to `file`.
pub(crate) fn tiny_layer(file: Gguf, layer: u32) -> Gguf {
    let seed = u64::from(layer) * 16;
    let name = |part: &str| format!("blk.{layer}.{part}");
    file.tensor(&name("attn_norm.weight"), &[WIDTH], &[1.0; WIDTH as usize])
        .tensor(&name("ffn_norm.weight"), &[WIDTH], &[1.0; WIDTH as usize])
        .tensor(&name("attn_q.weight"), &[WIDTH, WIDTH], &weights(WIDTH * WIDTH, seed + 1))
        .tensor(&name("attn_k.weight"), &[WIDTH, KV_WIDTH], &weights(WIDTH * KV_WIDTH, seed + 2))
        .tensor(&name("attn_v.weight"), &[WIDTH, KV_WIDTH], &weights(WIDTH * KV_WIDTH, seed + 3))
        .tensor(&name("attn_output.weight"), &[WIDTH, WIDTH], &weights(WIDTH * WIDTH, seed + 4))
        .tensor(&name("ffn_gate.weight"), &[WIDTH, FFN], &weights(WIDTH * FFN, seed + 5))
        .tensor(&name("ffn_up.weight"), &[WIDTH, FFN], &weights(WIDTH * FFN, seed + 6))
        .tensor(&name("ffn_down.weight"), &[FFN, WIDTH], &weights(FFN * WIDTH, seed + 7))
}

/// The tensors outside the layers (tied output: no `output.weight`), added to `file`.
pub(crate) fn tiny_outer(file: Gguf) -> Gguf {
    outer_over(file, vocabulary().len() as u64)
}

fn outer_over(file: Gguf, vocab: u64) -> Gguf {
    file.tensor("token_embd.weight", &[WIDTH, vocab], &weights(WIDTH * vocab, 99)).tensor(
        "output_norm.weight",
        &[WIDTH],
        &[1.0; WIDTH as usize],
    )
}

/// A complete tiny model.
pub(crate) fn tiny_model() -> Gguf {
    (0..LAYERS).fold(tiny_outer(tiny_metadata(LAYERS)), tiny_layer)
}

/// Writes the seeds of the `gguf_header` fuzz target (crates/builtin/fuzz/seeds): the tiny
/// model, and one with a vocabulary of four tokens and an explicit alignment. Run by hand when the format of the tiny model
/// changes: `cargo test -p thinkscale-builtin --lib -- --ignored write_fuzz_seeds`.
#[test]
#[ignore = "writes files into crates/builtin/fuzz/seeds"]
fn write_fuzz_seeds() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/gguf_header");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("tiny_model.gguf"), tiny_model().bytes()).unwrap();
    // The same network over the ChatML markers and two letters: a seed a quarter the size,
    // so that more of the fuzzer's time goes to the header.
    let tokens: Vec<String> =
        ["a", "b", "<|im_start|>", "<|im_end|>"].into_iter().map(String::from).collect();
    let small = (0..LAYERS).fold(
        outer_over(metadata_over(LAYERS, &tokens), tokens.len() as u64)
            .u32("general.alignment", 32),
        tiny_layer,
    );
    let bytes = small.bytes();
    crate::Weights::read(&mut std::io::Cursor::new(&bytes)).unwrap();
    std::fs::write(dir.join("small_vocabulary.gguf"), bytes).unwrap();
}
