//! Loading a GGUF file: hyper-parameters, the tokenizer, the chat template and the tensors.
//!
//! Supports the two architectures the built-in model needs — `llama` (SmolLM2) and `qwen2`
//! (Qwen2.5, which adds biases to the attention projections and uses the other rotary layout).
//! Every missing key or tensor is an error that names it, so a wrong file fails at load time with
//! a sentence, not later with a shape mismatch.

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
        let content = Content::read(reader).map_err(|e| Error::Gguf(e.to_string()))?;
        let file = File { content: &content };
        let config = file.config()?;
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
