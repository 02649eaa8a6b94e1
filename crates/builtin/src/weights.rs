//! Loading a GGUF file: hyper-parameters, the tokenizer, the chat template and the tensors.
//!
//! Supports the two architectures the built-in model needs — `llama` (SmolLM2) and `qwen2`
//! (Qwen2.5, which adds biases to the attention projections and uses the other rotary layout).
//! Every missing key or tensor is an error that names it, so a wrong file fails at load time with
//! a sentence, not later with a shape mismatch. The header is checked ([`header::check`]) before
//! candle reads it, and every count that sizes an allocation (`block_count`, widths, heads) is
//! checked against the tensors actually present before anything is allocated from it.

pub mod header;

use std::io::{Read, Seek};
use std::sync::Arc;

use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::quantized::{QMatMul, QTensor};
use candle_core::{Device, Tensor};

use crate::Error;
use crate::template::ChatTemplate;
use crate::tokenizer::{SplitRule, TokenId, Tokenizer};

/// The model families supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    /// Llama layout (SmolLM2): interleaved rotary pairs, no attention biases.
    Llama,
    /// Qwen2 layout (Qwen2.5): rotary pairs split in halves, biases on q, k and v.
    Qwen2,
}

/// The hyper-parameters a forward pass needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The model family.
    pub architecture: Architecture,
    /// Transformer blocks.
    pub layers: usize,
    /// Width of the residual stream.
    pub embedding: usize,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads (grouped-query attention when fewer than `heads`).
    pub kv_heads: usize,
    /// Width of one head.
    pub head_dim: usize,
    /// Rotary base frequency.
    pub rope_theta: f32,
    /// RMS-norm epsilon.
    pub rms_eps: f64,
    /// Longest context the model was trained for.
    pub context: usize,
}

/// One transformer block's weights.
#[derive(Debug)]
pub(crate) struct Block {
    pub attn_norm: Tensor,
    pub q: QMatMul,
    pub k: QMatMul,
    pub v: QMatMul,
    pub q_bias: Option<Tensor>,
    pub k_bias: Option<Tensor>,
    pub v_bias: Option<Tensor>,
    pub out: QMatMul,
    pub ffn_norm: Tensor,
    pub gate: QMatMul,
    pub up: QMatMul,
    pub down: QMatMul,
}

/// A loaded model: weights, tokenizer and chat template.
#[derive(Debug)]
pub struct Weights {
    /// Hyper-parameters.
    pub config: Config,
    /// The tokenizer.
    pub tokenizer: Tokenizer,
    /// The chat template.
    pub template: ChatTemplate,
    /// Tokens that end generation (end of turn, end of text).
    pub stop_tokens: Vec<TokenId>,
    pub(crate) embeddings: Arc<QTensor>,
    pub(crate) blocks: Vec<Block>,
    pub(crate) output_norm: Tensor,
    pub(crate) output: QMatMul,
}

impl Weights {
    /// Reads a GGUF file (from disk natively, from an in-memory buffer in the browser).
    pub fn read<R: Read + Seek>(reader: &mut R) -> Result<Self, Error> {
        header::check(reader)?;
        let content = Content::read(reader).map_err(|e| Error::Gguf(e.to_string()))?;
        let file = File { content: &content };
        let config = file.config()?;
        file.check_shapes(&config)?;
        let tokenizer = file.tokenizer()?;
        let template =
            ChatTemplate::from_jinja(file.string("tokenizer.chat_template")?, &tokenizer)?;
        let mut stop_tokens = vec![template.end_of_turn()];
        if let Ok(eos) = file.integer("tokenizer.ggml.eos_token_id") {
            stop_tokens.push(eos as TokenId);
        }
        stop_tokens.extend(tokenizer.token_id("<|endoftext|>"));
        stop_tokens.sort_unstable();
        stop_tokens.dedup();

        let mut load = Loader { content: &content, reader };
        let embeddings = Arc::new(load.quantized("token_embd.weight")?);
        // Tied embeddings (SmolLM2): without `output.weight` the output shares the token table.
        let output = if content.tensor_infos.contains_key("output.weight") {
            load.matmul("output.weight")?
        } else {
            QMatMul::from_arc(Arc::clone(&embeddings))?
        };
        let output_norm = load.dense("output_norm.weight")?;
        let biased = config.architecture == Architecture::Qwen2;
        let mut blocks = Vec::with_capacity(config.layers);
        for layer in 0..config.layers {
            let name = |part: &str| format!("blk.{layer}.{part}");
            let mut bias = |part: &str| -> Result<Option<Tensor>, Error> {
                if biased { load.dense(&name(part)).map(Some) } else { Ok(None) }
            };
            let (q_bias, k_bias, v_bias) =
                (bias("attn_q.bias")?, bias("attn_k.bias")?, bias("attn_v.bias")?);
            blocks.push(Block {
                q: load.matmul(&name("attn_q.weight"))?,
                k: load.matmul(&name("attn_k.weight"))?,
                v: load.matmul(&name("attn_v.weight"))?,
                out: load.matmul(&name("attn_output.weight"))?,
                gate: load.matmul(&name("ffn_gate.weight"))?,
                up: load.matmul(&name("ffn_up.weight"))?,
                down: load.matmul(&name("ffn_down.weight"))?,
                attn_norm: load.dense(&name("attn_norm.weight"))?,
                ffn_norm: load.dense(&name("ffn_norm.weight"))?,
                q_bias,
                k_bias,
                v_bias,
            });
        }
        Ok(Self {
            config,
            tokenizer,
            template,
            stop_tokens,
            embeddings,
            blocks,
            output_norm,
            output,
        })
    }
}

/// A dimension of a layer's tensor, in terms of the configuration.
#[derive(Clone, Copy)]
enum Dim {
    Width,
    KeyValue,
    FeedForward,
}

/// The tensors of every layer with their shapes (candle's order: rows first). Biases (Qwen2)
/// are checked on their own.
const LAYER_TENSORS: [(&str, &[Dim]); 9] = [
    ("attn_norm.weight", &[Dim::Width]),
    ("attn_q.weight", &[Dim::Width, Dim::Width]),
    ("attn_k.weight", &[Dim::KeyValue, Dim::Width]),
    ("attn_v.weight", &[Dim::KeyValue, Dim::Width]),
    ("attn_output.weight", &[Dim::Width, Dim::Width]),
    ("ffn_norm.weight", &[Dim::Width]),
    ("ffn_gate.weight", &[Dim::FeedForward, Dim::Width]),
    ("ffn_up.weight", &[Dim::FeedForward, Dim::Width]),
    ("ffn_down.weight", &[Dim::Width, Dim::FeedForward]),
];

fn mismatch(name: &str, found: &[usize], expected: &str, width: usize) -> Error {
    Error::Gguf(format!(
        "tensor {name} has shape {found:?}; expected {expected} with width {width}"
    ))
}

/// Reads tensors out of a GGUF file onto the CPU, naming the tensor in any error.
struct Loader<'a, R> {
    content: &'a Content,
    reader: &'a mut R,
}

impl<R: Read + Seek> Loader<'_, R> {
    fn quantized(&mut self, name: &str) -> Result<QTensor, Error> {
        self.content
            .tensor(&mut *self.reader, name, &Device::Cpu)
            .map_err(|e| Error::Gguf(format!("tensor {name}: {e}")))
    }

    fn matmul(&mut self, name: &str) -> Result<QMatMul, Error> {
        Ok(QMatMul::from_qtensor(self.quantized(name)?)?)
    }

    fn dense(&mut self, name: &str) -> Result<Tensor, Error> {
        Ok(self.quantized(name)?.dequantize(&Device::Cpu)?)
    }
}

/// Typed access to a GGUF file's metadata, with errors that name the key.
struct File<'a> {
    content: &'a Content,
}

impl File<'_> {
    fn value(&self, key: &str) -> Result<&Value, Error> {
        self.content
            .metadata
            .get(key)
            .ok_or_else(|| Error::Gguf(format!("missing metadata key {key}")))
    }

    fn string(&self, key: &str) -> Result<&str, Error> {
        self.value(key)?
            .to_string()
            .map(String::as_str)
            .map_err(|_| Error::Gguf(format!("{key} is not a string")))
    }

    fn integer(&self, key: &str) -> Result<u64, Error> {
        let value = self.value(key)?;
        value
            .to_u64()
            .or_else(|_| value.to_u32().map(u64::from))
            .or_else(|_| value.to_i32().map(|v| v.max(0) as u64))
            .map_err(|_| Error::Gguf(format!("{key} is not an integer")))
    }

    fn float(&self, key: &str) -> Result<f32, Error> {
        self.value(key)?.to_f32().map_err(|_| Error::Gguf(format!("{key} is not a float")))
    }

    fn strings(&self, key: &str) -> Result<Vec<String>, Error> {
        let items =
            self.value(key)?.to_vec().map_err(|_| Error::Gguf(format!("{key} is not an array")))?;
        items
            .iter()
            .map(|item| {
                item.to_string()
                    .cloned()
                    .map_err(|_| Error::Gguf(format!("{key} holds a non-string")))
            })
            .collect()
    }

    fn config(&self) -> Result<Config, Error> {
        let name = self.string("general.architecture")?;
        let architecture = match name {
            "llama" => Architecture::Llama,
            "qwen2" => Architecture::Qwen2,
            other => {
                return Err(Error::UnsupportedModel(format!(
                    "architecture {other:?} is not supported (supported: llama, qwen2)"
                )));
            }
        };
        let key = |suffix: &str| format!("{name}.{suffix}");
        let as_usize = |value: u64| {
            usize::try_from(value).map_err(|_| Error::Gguf("a size does not fit".into()))
        };
        let embedding = as_usize(self.integer(&key("embedding_length"))?)?;
        let heads = as_usize(self.integer(&key("attention.head_count"))?)?;
        let kv_heads =
            as_usize(self.integer(&key("attention.head_count_kv")).unwrap_or(heads as u64))?;
        if heads == 0 || kv_heads == 0 || embedding % heads != 0 || heads % kv_heads != 0 {
            return Err(Error::Gguf(format!(
                "inconsistent heads: width {embedding}, {heads} heads, {kv_heads} key/value heads"
            )));
        }
        // Rotary embeddings turn pairs of a head's dimensions.
        if !(embedding / heads).is_multiple_of(2) {
            return Err(Error::Gguf(format!(
                "heads of odd width: width {embedding} over {heads} heads"
            )));
        }
        Ok(Config {
            architecture,
            layers: as_usize(self.integer(&key("block_count"))?)?,
            embedding,
            heads,
            kv_heads,
            head_dim: embedding / heads,
            rope_theta: self.float(&key("rope.freq_base")).unwrap_or(10_000.0),
            rms_eps: f64::from(self.float(&key("attention.layer_norm_rms_epsilon"))?),
            context: as_usize(self.integer(&key("context_length"))?)?,
        })
    }

    /// Checks that every tensor the forward pass uses exists with the shape the metadata implies,
    /// so that no count read from the metadata sizes anything the file does not back.
    fn check_shapes(&self, config: &Config) -> Result<(), Error> {
        let tensors = self.content.tensor_infos.len();
        // Each layer has at least nine tensors: a block_count the file cannot back (say
        // 0xFFFFFFFF) fails here, before the loop below or any allocation sized by layers.
        if config.layers == 0 || config.layers > tensors / LAYER_TENSORS.len() {
            return Err(Error::Gguf(format!(
                "block_count is {}, but its {tensors} tensors make at most {} layers",
                config.layers,
                tensors / LAYER_TENSORS.len()
            )));
        }
        let width = config.embedding;
        let kv_width = config.kv_heads * config.head_dim;
        match self.shape("token_embd.weight")? {
            [_, found] if *found == width => {}
            found => {
                return Err(mismatch("token_embd.weight", found, "[vocabulary, width]", width));
            }
        }
        if self.content.tensor_infos.contains_key("output.weight") {
            match self.shape("output.weight")? {
                [_, found] if *found == width => {}
                found => {
                    return Err(mismatch("output.weight", found, "[vocabulary, width]", width));
                }
            }
        }
        self.expect("output_norm.weight", &[width])?;
        let ffn = match self.shape("blk.0.ffn_gate.weight")? {
            [ffn, found] if *found == width => *ffn,
            found => return Err(mismatch("blk.0.ffn_gate.weight", found, "[ffn, width]", width)),
        };
        let biased = config.architecture == Architecture::Qwen2;
        for layer in 0..config.layers {
            for (part, shape) in LAYER_TENSORS {
                let dims: Vec<usize> = shape
                    .iter()
                    .map(|dim| match dim {
                        Dim::Width => width,
                        Dim::KeyValue => kv_width,
                        Dim::FeedForward => ffn,
                    })
                    .collect();
                self.expect(&format!("blk.{layer}.{part}"), &dims)?;
            }
            if biased {
                self.expect(&format!("blk.{layer}.attn_q.bias"), &[width])?;
                self.expect(&format!("blk.{layer}.attn_k.bias"), &[kv_width])?;
                self.expect(&format!("blk.{layer}.attn_v.bias"), &[kv_width])?;
            }
        }
        Ok(())
    }

    fn shape(&self, name: &str) -> Result<&[usize], Error> {
        self.content
            .tensor_infos
            .get(name)
            .map(|info| info.shape.dims())
            .ok_or_else(|| Error::Gguf(format!("missing tensor {name}")))
    }

    fn expect(&self, name: &str, dims: &[usize]) -> Result<(), Error> {
        let found = self.shape(name)?;
        if found != dims {
            return Err(Error::Gguf(format!(
                "tensor {name} has shape {found:?}; the metadata implies {dims:?}"
            )));
        }
        Ok(())
    }

    fn tokenizer(&self) -> Result<Tokenizer, Error> {
        let model = self.string("tokenizer.ggml.model")?;
        if model != "gpt2" {
            return Err(Error::UnsupportedModel(format!(
                "tokenizer {model:?} is not byte-level BPE"
            )));
        }
        let pre = self.string("tokenizer.ggml.pre").unwrap_or("default");
        let rule = SplitRule::from_gguf_name(pre).ok_or_else(|| {
            Error::UnsupportedModel(format!("pre-tokenizer {pre:?} is not supported"))
        })?;
        let types = self
            .value("tokenizer.ggml.token_type")?
            .to_vec()
            .map_err(|_| Error::Gguf("tokenizer.ggml.token_type is not an array".into()))?
            .iter()
            .map(|v| v.to_i32().unwrap_or(1))
            .collect::<Vec<_>>();
        Tokenizer::new(
            self.strings("tokenizer.ggml.tokens")?,
            &types,
            &self.strings("tokenizer.ggml.merges")?,
            rule,
        )
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::testutil::{self, LAYERS, WIDTH};

    fn read(bytes: &[u8]) -> Result<Weights, String> {
        Weights::read(&mut Cursor::new(bytes)).map_err(|error| error.to_string())
    }

    #[test]
    fn the_tiny_model_loads() {
        let weights = read(&testutil::tiny_model().bytes()).unwrap();
        assert_eq!(weights.config.layers, LAYERS as usize);
        assert_eq!(weights.config.embedding, WIDTH as usize);
        assert_eq!(weights.blocks.len(), LAYERS as usize);
        assert_eq!(weights.template.default_system(), Some("You are tiny."));
    }

    #[test]
    fn a_block_count_beyond_the_tensors_present_is_refused_before_anything_is_sized_by_it() {
        for claimed in [0xFFFF_FFFF, 1 << 20] {
            let file = (0..LAYERS)
                .fold(testutil::tiny_outer(testutil::tiny_metadata(claimed)), testutil::tiny_layer);
            let message = read(&file.bytes()).unwrap_err();
            assert!(message.contains(&format!("block_count is {claimed}")), "{message}");
        }
        let none = testutil::tiny_outer(testutil::tiny_metadata(0));
        assert!(read(&none.bytes()).unwrap_err().contains("block_count is 0"));
    }

    #[test]
    fn every_layer_must_have_all_its_tensors() {
        // Three layers claimed, the tensors of two present plus most of a third.
        let mut file = (0..LAYERS)
            .fold(testutil::tiny_outer(testutil::tiny_metadata(LAYERS + 1)), testutil::tiny_layer);
        for part in ["attn_norm", "ffn_norm", "attn_q", "attn_k", "attn_v", "attn_output"] {
            file = file.tensor(&format!("blk.2.{part}.weight"), &[WIDTH], &[0.0; WIDTH as usize]);
        }
        for part in ["ffn_gate", "ffn_up", "ffn_down"] {
            file = file.tensor(&format!("blk.9.{part}.weight"), &[WIDTH], &[0.0; WIDTH as usize]);
        }
        let message = read(&file.bytes()).unwrap_err();
        assert!(message.contains("blk.2.attn_q.weight has shape [8]"), "{message}");
    }

    #[test]
    fn a_tensor_whose_shape_disagrees_with_the_metadata_is_refused() {
        // Claims 2 key/value heads (a key/value width of 8) over tensors made for 1 (width 4).
        let file = (0..LAYERS).fold(
            testutil::tiny_outer(testutil::tiny_metadata(LAYERS))
                .u32("llama.attention.head_count_kv", 2),
            testutil::tiny_layer,
        );
        let message = read(&file.bytes()).unwrap_err();
        assert!(message.contains("blk.0.attn_k.weight has shape [4, 8]"), "{message}");
        assert!(message.contains("implies [8, 8]"), "{message}");
    }

    #[test]
    fn an_alignment_of_zero_is_a_clear_error() {
        let file = testutil::tiny_model().u32("general.alignment", 0);
        assert!(read(&file.bytes()).unwrap_err().contains("general.alignment is 0"));
    }

    #[test]
    fn a_truncated_model_is_a_clear_error() {
        let bytes = testutil::tiny_model().bytes();
        let message = read(&bytes[..bytes.len() - 100]).unwrap_err();
        assert!(message.contains("lie past the end of the file"), "{message}");
    }
}
