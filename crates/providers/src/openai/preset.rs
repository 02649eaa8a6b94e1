//! [`Preset`]: the one table of vendors and local servers that speak the OpenAI protocol — each
//! one's API root, abilities and key variable. The JS API's `preset` option, the terminal's
//! `--provider` and the [`OpenAiConfig`] constructors all read it, so they cannot disagree.

use serde::Deserialize;

use super::{MaxTokensField, OpenAiConfig};

/// Vendors and servers that speak the OpenAI protocol, with their base URL and abilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Preset {
    /// api.openai.com: `n` up to 128, logprobs, `reasoning_effort`, `max_completion_tokens`.
    Openai,
    /// openrouter.ai (one choice per request; reasoning text as `reasoning`).
    Openrouter,
    /// api.groq.com (one choice per request).
    Groq,
    /// api.together.xyz (`n`, logprobs).
    Together,
    /// api.deepseek.com (`reasoning_content`).
    Deepseek,
    /// A local Ollama on port 11434 (no key; ignores `n`).
    Ollama,
    /// A local LM Studio on port 1234 (no key).
    LmStudio,
    /// A llama.cpp server on its default port (`http://127.0.0.1:8080/v1`): `n` up to its slot
    /// count (set `max_n`), logprobs, reasoning text from `reasoning_content`.
    LlamaCpp,
    /// A vLLM server on its default port (`http://127.0.0.1:8000/v1`): `n`, logprobs.
    Vllm,
}

impl Preset {
    /// Every preset, in the order listings show them.
    pub const ALL: [Self; 9] = [
        Self::Openai,
        Self::Openrouter,
        Self::Groq,
        Self::Together,
        Self::Deepseek,
        Self::Ollama,
        Self::LmStudio,
        Self::LlamaCpp,
        Self::Vllm,
    ];

    /// The preset's name where people type it: the terminal's `--provider` value
    /// (`llama-cpp`, `lm-studio`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Openai => "openai",
            Self::Openrouter => "openrouter",
            Self::Groq => "groq",
            Self::Together => "together",
            Self::Deepseek => "deepseek",
            Self::Ollama => "ollama",
            Self::LmStudio => "lm-studio",
            Self::LlamaCpp => "llama-cpp",
            Self::Vllm => "vllm",
        }
    }

    /// The settings this preset starts from, for `model`, with no key.
    pub fn config(self, model: impl Into<String>) -> OpenAiConfig {
        let base = OpenAiConfig::new(self.base_url(), model);
        match self {
            Self::Openai => OpenAiConfig {
                max_n: 128,
                max_tokens_field: MaxTokensField::MaxCompletionTokens,
                logprobs: true,
                reasoning: true,
                ..base
            },
            Self::Openrouter | Self::Deepseek => OpenAiConfig { reasoning: true, ..base },
            Self::Together | Self::Vllm => OpenAiConfig { max_n: 16, logprobs: true, ..base },
            Self::LlamaCpp => OpenAiConfig { logprobs: true, ..base },
            Self::Groq | Self::Ollama | Self::LmStudio => base,
        }
    }

    /// The API root requests go to unless a base URL is given.
    pub fn base_url(self) -> &'static str {
        match self {
            Self::Openai => "https://api.openai.com/v1",
            Self::Openrouter => "https://openrouter.ai/api/v1",
            Self::Groq => "https://api.groq.com/openai/v1",
            Self::Together => "https://api.together.xyz/v1",
            Self::Deepseek => "https://api.deepseek.com/v1",
            Self::Ollama => "http://127.0.0.1:11434/v1",
            Self::LmStudio => "http://127.0.0.1:1234/v1",
            Self::LlamaCpp => "http://127.0.0.1:8080/v1",
            Self::Vllm => "http://127.0.0.1:8000/v1",
        }
    }

    /// The environment variable a terminal reads the key from; `None` for local servers, which
    /// take no key.
    pub fn key_variable(self) -> Option<&'static str> {
        match self {
            Self::Openai => Some("OPENAI_API_KEY"),
            Self::Openrouter => Some("OPENROUTER_API_KEY"),
            Self::Groq => Some("GROQ_API_KEY"),
            Self::Together => Some("TOGETHER_API_KEY"),
            Self::Deepseek => Some("DEEPSEEK_API_KEY"),
            Self::Ollama | Self::LmStudio | Self::LlamaCpp | Self::Vllm => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosted_presets_need_a_key_and_local_ones_stay_on_this_machine() {
        for preset in Preset::ALL {
            let config = preset.config("m");
            assert_eq!(config.base_url, preset.base_url());
            let local = config.base_url.starts_with("http://127.0.0.1:");
            assert_eq!(local, preset.key_variable().is_none(), "{preset:?}");
            assert!(local || config.base_url.starts_with("https://"), "{preset:?}");
        }
    }
}
