//! [`ProviderSpec`]: a provider described as plain data (`{"kind": "openai", "preset": "groq",
//! "apiKey": …, "model": …}`), for front ends that receive their settings as JSON — the JS API
//! above all. [`ProviderSpec::build`] checks every field and makes the model, boxed ([`BoxModel`]).
//!
//! The key is deserialized straight into an [`ApiKey`]: the spec cannot be serialized back, so it
//! cannot leak into a trace or a log by accident.

use serde::Deserialize;

use thinkscale_engine::model::BoxModel;

use crate::openai::Preset;
use crate::{AnthropicConfig, ApiKey, Error, OpenAiCompatible, OpenAiConfig, gemini};

/// The settings of an OpenAI-compatible provider. Only `model` is required (and `baseURL` without
/// a preset); everything else has the preset's default.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpenAiSpec {
    /// A vendor or server whose URL and abilities to start from.
    #[serde(default)]
    pub preset: Option<Preset>,
    /// The API root, e.g. `https://api.openai.com/v1` (overrides the preset's).
    #[serde(default, rename = "baseURL", alias = "baseUrl")]
    pub base_url: Option<String>,
    /// The key, sent as a bearer token to `baseURL` only.
    #[serde(default)]
    #[cfg_attr(feature = "typescript", ts(as = "Option<String>"))]
    pub api_key: Option<ApiKey>,
    /// The model name the server knows.
    pub model: String,
    /// Most choices one request may ask for (`n`); 1 if the server ignores `n`.
    #[serde(default)]
    pub max_n: Option<u32>,
    /// Whether the server returns token logprobs.
    #[serde(default)]
    pub logprobs: Option<bool>,
    /// Whether the model reasons (accepts `reasoning_effort`, streams reasoning text).
    #[serde(default)]
    pub reasoning: Option<bool>,
}

/// The settings of Anthropic's Messages API.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnthropicSpec {
    /// The key, sent as `x-api-key` to `baseURL` only.
    #[cfg_attr(feature = "typescript", ts(as = "String"))]
    pub api_key: ApiKey,
    /// The model, e.g. `claude-sonnet-4-5`.
    pub model: String,
    /// The API root (default `https://api.anthropic.com`).
    #[serde(default, rename = "baseURL", alias = "baseUrl")]
    pub base_url: Option<String>,
    /// `max_tokens` for requests that set none (default 4096).
    #[serde(default)]
    pub default_max_tokens: Option<u32>,
}

/// The settings of Google Gemini (through its OpenAI-compatible endpoint).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GeminiSpec {
    /// The key, sent to Google's endpoint only.
    #[cfg_attr(feature = "typescript", ts(as = "String"))]
    pub api_key: ApiKey,
    /// The model, e.g. `gemini-2.5-flash`.
    pub model: String,
}

/// A provider of this crate, as data.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ProviderSpec {
    /// An OpenAI-compatible server.
    Openai(OpenAiSpec),
    /// Anthropic.
    Anthropic(AnthropicSpec),
    /// Google Gemini.
    Gemini(GeminiSpec),
}

impl ProviderSpec {
    /// Checks the settings and makes the provider; the error names the offending field.
    pub fn build(self) -> Result<BoxModel, Error> {
        match self {
            Self::Openai(spec) => OpenAiCompatible::new(spec.into_config()?).map(BoxModel::new),
            Self::Anthropic(spec) => {
                let mut config = AnthropicConfig::new("", spec.model);
                config.api_key = spec.api_key;
                if let Some(base) = spec.base_url {
                    config.base_url = base;
                }
                if let Some(tokens) = spec.default_max_tokens {
                    config.default_max_tokens = tokens;
                }
                crate::Anthropic::new(config).map(BoxModel::new)
            }
            Self::Gemini(spec) => {
                let mut config = gemini::config("", spec.model);
                config.api_key = spec.api_key;
                OpenAiCompatible::new(config).map(BoxModel::new)
            }
        }
    }
}

impl OpenAiSpec {
    fn into_config(self) -> Result<OpenAiConfig, Error> {
        let model = self.model;
        let mut config = match self.preset {
            Some(preset) => preset.config(model),
            None => {
                let base = self.base_url.clone().ok_or(Error::InvalidConfig {
                    field: "baseURL",
                    reason: "is required without a `preset` (e.g. `http://127.0.0.1:8080/v1`)"
                        .into(),
                })?;
                OpenAiConfig::new(base, model)
            }
        };
        if let Some(base) = self.base_url {
            config.base_url = base;
        }
        if let Some(key) = self.api_key {
            config.api_key = key;
        }
        if let Some(max_n) = self.max_n {
            config.max_n = max_n;
        }
        if let Some(logprobs) = self.logprobs {
            config.logprobs = logprobs;
        }
        if let Some(reasoning) = self.reasoning {
            config.reasoning = reasoning;
        }
        Ok(config)
    }
}

impl<'de> Deserialize<'de> for ApiKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(ApiKey::new)
    }
}

#[cfg(test)]
mod tests {
    use thinkscale_engine::Model;

    use super::*;

    fn build(json: &str) -> Result<BoxModel, String> {
        let spec: ProviderSpec = serde_json::from_str(json).map_err(|e| e.to_string())?;
        spec.build().map_err(|e| e.to_string())
    }

    fn openai_config(json: &str) -> OpenAiConfig {
        let Ok(ProviderSpec::Openai(spec)) = serde_json::from_str(json) else {
            panic!("not an OpenAI-compatible spec: {json}")
        };
        spec.into_config().expect(json)
    }

    #[test]
    fn presets_fill_in_the_url_and_abilities() {
        let json = r#"{"kind":"openai","preset":"llamaCpp","model":"local","maxN":4}"#;
        assert_eq!(openai_config(json).base_url, "http://127.0.0.1:8080/v1");
        let model = build(json).expect("llama.cpp preset");
        assert_eq!(model.capabilities().max_n, 4);
        assert!(model.capabilities().logprobs);

        let json = r#"{"kind":"openai","preset":"groq","apiKey":"gsk-1","model":"llama"}"#;
        assert_eq!(openai_config(json).base_url, "https://api.groq.com/openai/v1");
        assert_eq!(build(json).expect("groq preset").id(), "llama");
    }

    #[test]
    fn a_base_url_overrides_the_preset_and_is_required_without_one() {
        let json = r#"{"kind":"openai","preset":"llamaCpp","baseURL":"http://127.0.0.1:8790/v1","model":"m"}"#;
        assert_eq!(openai_config(json).base_url, "http://127.0.0.1:8790/v1");
        assert!(build(json).is_ok());
        let error = build(r#"{"kind":"openai","model":"m"}"#).expect_err("no URL");
        assert!(error.contains("baseURL"), "{error}");
    }

    #[test]
    fn bad_specs_name_the_field() {
        for (json, field) in [
            (r#"{"kind":"openai","preset":"groq"}"#, "model"),
            (r#"{"kind":"openai","model":"m","baseUrl":"ftp://x"}"#, "base_url"),
            (r#"{"kind":"openai","model":"m","baseURL":"http://h/v1","tempo":1}"#, "tempo"),
            (r#"{"kind":"anthropic","model":"claude"}"#, "apiKey"),
            (r#"{"kind":"cohere","model":"m"}"#, "cohere"),
            (
                r#"{"kind":"openai","baseURL":"http://example.com/v1","apiKey":"sk-1","model":"m"}"#,
                "https",
            ),
        ] {
            let error = build(json).expect_err(json);
            assert!(error.contains(field), "{json}: {error}");
        }
    }

    #[test]
    fn the_key_never_prints() {
        let spec: ProviderSpec =
            serde_json::from_str(r#"{"kind":"gemini","apiKey":"AIza-secret-123","model":"g"}"#)
                .expect("gemini spec");
        assert!(!format!("{spec:?}").contains("secret"));
    }
}
