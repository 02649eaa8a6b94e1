//! `--provider`: which model a terminal run talks to, and building it from the arguments.
//!
//! The OpenAI-protocol vendors and servers come from the providers' one [`Preset`] table (their
//! names, API roots and key variables), so the terminal offers exactly what the JS API offers;
//! the few providers that are not presets are listed here. Keys are read from environment
//! variables only (never from arguments, which other users of the machine can see in the
//! process list).

use std::path::PathBuf;
use std::sync::LazyLock;

use clap::builder::PossibleValue;
use clap::{Args, ValueEnum};
use thinkscale_builtin::BuiltinModel;
use thinkscale_engine::model::BoxModel;
use thinkscale_providers::openai::{OpenAiConfig, Preset};
use thinkscale_providers::{Anthropic, AnthropicConfig, OpenAiCompatible, gemini};

/// Which provider: a preset, or one of the providers with their own protocol or setup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Provider {
    /// A vendor or local server from the providers' preset table.
    Preset(Preset),
    /// Any OpenAI-compatible server at --base-url (key from THINKSCALE_API_KEY, if set).
    OpenaiCompatible,
    /// Anthropic (ANTHROPIC_API_KEY).
    Anthropic,
    /// Gemini through its OpenAI-compatible endpoint (GEMINI_API_KEY).
    Gemini,
    /// The built-in model, run in this process.
    Builtin,
}

/// Every `--provider` value: the presets, then the others (clap wants them as one slice).
static PROVIDERS: LazyLock<Vec<Provider>> = LazyLock::new(|| {
    let others =
        [Provider::OpenaiCompatible, Provider::Anthropic, Provider::Gemini, Provider::Builtin];
    Preset::ALL.into_iter().map(Provider::Preset).chain(others).collect()
});

impl ValueEnum for Provider {
    fn value_variants<'a>() -> &'a [Self] {
        &PROVIDERS
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let (name, help) = match *self {
            Self::Preset(preset) => {
                let key = match preset.key_variable() {
                    Some(variable) => format!("key from {variable}"),
                    None => "no key".to_owned(),
                };
                (preset.name(), format!("{} ({key})", preset.base_url()))
            }
            Self::OpenaiCompatible => (
                "openai-compatible",
                "any OpenAI-compatible server at --base-url (key from THINKSCALE_API_KEY, if set)"
                    .to_owned(),
            ),
            Self::Anthropic => ("anthropic", "Anthropic (key from ANTHROPIC_API_KEY)".to_owned()),
            Self::Gemini => (
                "gemini",
                "Gemini's OpenAI-compatible endpoint (key from GEMINI_API_KEY)".to_owned(),
            ),
            Self::Builtin => (
                "builtin",
                "the built-in model in this process (--model is a GGUF file; default: the \
                 SmolLM2 file scripts/models prepares)"
                    .to_owned(),
            ),
        };
        Some(PossibleValue::new(name).help(help))
    }
}

/// The built-in model file `scripts/models` prepares: `$THINKSCALE_CACHE/models/…`, by default
/// under `~/.cache/thinkscale`.
fn default_builtin_file() -> Result<PathBuf, String> {
    const FILE: &str = "SmolLM2-135M-Instruct.Q8_0.gguf";
    let cache = std::env::var_os("THINKSCALE_CACHE").map(PathBuf::from).or_else(|| {
        std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache").join("thinkscale"))
    });
    let path =
        cache.ok_or("set HOME or THINKSCALE_CACHE, or pass --model")?.join("models").join(FILE);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing: run `scripts/models path smollm2-135m-q8` or pass --model",
            path.display()
        ))
    }
}

/// The flags that say which model a run talks to (and the stronger one it may escalate to).
#[derive(Args, Debug)]
pub(crate) struct ModelArgs {
    /// The provider.
    #[arg(long, value_enum, default_value = "llama-cpp")]
    pub(crate) provider: Provider,
    /// The API root (default: the provider's own; llama-cpp: http://127.0.0.1:8080/v1, its
    /// server's default port — scripts/model-server's is http://127.0.0.1:8790/v1).
    #[arg(long)]
    pub(crate) base_url: Option<String>,
    /// The model name (required except for llama-cpp).
    #[arg(long)]
    pub(crate) model: Option<String>,
    /// Read the API key from this environment variable instead of the provider's default one.
    #[arg(long)]
    pub(crate) api_key_env: Option<String>,
    /// Slots of the llama.cpp server (its most choices per request).
    #[arg(long, default_value_t = 8)]
    pub(crate) slots: u32,
    /// Adaptive allocation: a stronger model's OpenAI-compatible API root (a llama.cpp
    /// server), asked only when the first wave disagrees.
    #[arg(long)]
    pub(crate) escalate_url: Option<String>,
}

impl ModelArgs {
    /// The model: the built-in one, or a provider with its key from the environment.
    pub(crate) fn model(&self) -> Result<BoxModel, String> {
        match self.provider {
            Provider::Builtin => {
                let path = match &self.model {
                    Some(path) => PathBuf::from(path),
                    None => default_builtin_file()?,
                };
                let model = BuiltinModel::open(&path).map_err(|e| e.to_string())?;
                Ok(BoxModel::new(model))
            }
            Provider::Anthropic => {
                let mut config = AnthropicConfig::new(
                    self.key("ANTHROPIC_API_KEY")?,
                    self.model_name("anthropic")?,
                );
                if let Some(base) = &self.base_url {
                    config.base_url = base.clone();
                }
                Anthropic::new(config).map(BoxModel::new).map_err(|e| e.to_string())
            }
            Provider::Preset(preset) => self.openai(self.preset_config(preset)?),
            Provider::OpenaiCompatible => {
                let base =
                    self.base_url.clone().ok_or("--base-url is required for openai-compatible")?;
                let config = OpenAiConfig::new(base, self.model_name("openai-compatible")?);
                self.openai(config.api_key(self.optional_key("THINKSCALE_API_KEY")))
            }
            Provider::Gemini => {
                self.openai(gemini::config(self.key("GEMINI_API_KEY")?, self.model_name("gemini")?))
            }
        }
    }

    /// The stronger model adaptive allocation escalates to, if one was given.
    pub(crate) fn escalation_model(&self) -> Result<Option<BoxModel>, String> {
        let Some(url) = &self.escalate_url else { return Ok(None) };
        let config = OpenAiConfig::llama_cpp(url.clone(), self.slots);
        let config = OpenAiConfig { model: "escalation".to_owned(), ..config };
        OpenAiCompatible::new(config)
            .map(|model| Some(BoxModel::new(model)))
            .map_err(|e| e.to_string())
    }

    /// A preset's settings: its key from its variable, and llama.cpp's `n` from --slots (its
    /// server names no model, so --model is optional there).
    fn preset_config(&self, preset: Preset) -> Result<OpenAiConfig, String> {
        if preset == Preset::LlamaCpp {
            let base = self.base_url.as_deref().unwrap_or(preset.base_url());
            let config = OpenAiConfig::llama_cpp(base, self.slots);
            return Ok(match &self.model {
                Some(name) => OpenAiConfig { model: name.clone(), ..config },
                None => config,
            });
        }
        let config = preset.config(self.model_name(preset.name())?);
        Ok(match preset.key_variable() {
            Some(variable) => config.api_key(self.key(variable)?),
            None if self.api_key_env.is_some() => config.api_key(self.optional_key("")),
            None => config,
        })
    }

    /// An OpenAI-protocol model from `config`, at --base-url when one was given.
    fn openai(&self, mut config: OpenAiConfig) -> Result<BoxModel, String> {
        if let Some(base) = &self.base_url {
            config.base_url = base.clone();
        }
        OpenAiCompatible::new(config).map(BoxModel::new).map_err(|e| e.to_string())
    }

    /// The key from --api-key-env, else from `default`; an error naming the variable if unset.
    fn key(&self, default: &str) -> Result<String, String> {
        let variable = self.api_key_env.as_deref().unwrap_or(default);
        std::env::var(variable)
            .map_err(|_| format!("set {variable} to your API key (or pass --api-key-env)"))
    }

    /// The key from --api-key-env, else from `default`, or none.
    fn optional_key(&self, default: &str) -> String {
        std::env::var(self.api_key_env.as_deref().unwrap_or(default)).unwrap_or_default()
    }

    /// --model, which `provider` requires.
    fn model_name(&self, provider: &str) -> Result<String, String> {
        self.model.clone().ok_or_else(|| format!("--model is required for {provider}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_a_provider_named_as_the_table_names_it() {
        for preset in Preset::ALL {
            let provider = Provider::from_str(preset.name(), false).unwrap();
            assert_eq!(provider, Provider::Preset(preset));
        }
        assert_eq!(Provider::from_str("lm-studio", false), Ok(Provider::Preset(Preset::LmStudio)));
        assert_eq!(Provider::from_str("builtin", false), Ok(Provider::Builtin));
        let names: std::collections::BTreeSet<_> = Provider::value_variants()
            .iter()
            .map(|p| p.to_possible_value().unwrap().get_name().to_owned())
            .collect();
        assert_eq!(names.len(), Provider::value_variants().len(), "names are unique");
    }
}
