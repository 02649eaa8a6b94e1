//! Command-line arguments, and turning them into a provider, a strategy, a task and a budget.
//!
//! Keys are read from environment variables only (never from arguments, which other users of
//! the machine can see in the process list).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use thinkscale_builtin::BuiltinModel;
use thinkscale_engine::prelude::*;
use thinkscale_providers::openai::OpenAiConfig;
use thinkscale_providers::{AnthropicConfig, AnyModel, gemini};

use crate::model::CliModel;

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

/// Make a language model think longer, and watch it think.
#[derive(Parser, Debug)]
#[command(name = "thinkscale", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// What to do.
#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Answer one question, streaming branches, votes and the stop as they happen.
    Run(RunArgs),
    /// Run a strategy over a dataset (GSM8K or SVAMP JSON lines) and report accuracy and spend.
    Eval(EvalArgs),
    /// Convert a GGUF model's Q4_1/Q5 tensors to a type the built-in model has fast kernels for.
    Requantize(RequantizeArgs),
}

/// `thinkscale requantize`.
#[derive(Args, Debug)]
pub(crate) struct RequantizeArgs {
    /// The GGUF file to read.
    pub(crate) input: PathBuf,
    /// The GGUF file to write.
    pub(crate) output: PathBuf,
    /// The type to convert to.
    #[arg(long, value_parser = ["q4_0", "q8_0"], default_value = "q8_0")]
    pub(crate) to: String,
}

/// `thinkscale run`.
#[derive(Args, Debug)]
pub(crate) struct RunArgs {
    /// The question.
    pub(crate) question: String,
    #[command(flatten)]
    pub(crate) setup: Setup,
    /// Write the run's trace (JSON, without per-token deltas unless --full-trace) to this file.
    #[arg(long)]
    pub(crate) trace: Option<PathBuf>,
    /// Keep every streamed token in the trace file.
    #[arg(long)]
    pub(crate) full_trace: bool,
    /// Print every event as a JSON line on stdout instead of the progress display.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `thinkscale eval`.
#[derive(Args, Debug)]
pub(crate) struct EvalArgs {
    /// A JSON-lines file — GSM8K (`question`, `answer` ending `#### N`) or SVAMP (`Body`,
    /// `Question`, `Answer`) — or the Game of 24 CSV (`Rank,Puzzles,…`), checked exactly.
    #[arg(long)]
    pub(crate) data: PathBuf,
    /// How many problems.
    #[arg(long, default_value_t = 20)]
    pub(crate) limit: usize,
    /// Skip this many problems first (Game of 24 puzzles 900–999: --skip 900 --limit 100).
    #[arg(long, default_value_t = 0)]
    pub(crate) skip: usize,
    /// Write every run's trace (JSON lines, one trace per problem) to this file.
    #[arg(long)]
    pub(crate) traces: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) setup: Setup,
}

/// Which provider.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProviderName {
    /// llama.cpp's server (scripts/model-server), no key.
    LlamaCpp,
    /// Any OpenAI-compatible server at --base-url (key from THINKSCALE_API_KEY, if set).
    OpenaiCompatible,
    /// OpenAI (OPENAI_API_KEY).
    Openai,
    /// Anthropic (ANTHROPIC_API_KEY).
    Anthropic,
    /// Gemini through its OpenAI-compatible endpoint (GEMINI_API_KEY).
    Gemini,
    /// OpenRouter (OPENROUTER_API_KEY).
    Openrouter,
    /// Groq (GROQ_API_KEY).
    Groq,
    /// Together AI (TOGETHER_API_KEY).
    Together,
    /// DeepSeek (DEEPSEEK_API_KEY).
    Deepseek,
    /// A local Ollama.
    Ollama,
    /// The built-in model, run in this process (--model is a GGUF file; default: the SmolLM2
    /// file that `scripts/models` prepares).
    Builtin,
}

/// Which strategy.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StrategyName {
    /// One answer, no reasoning prompt.
    Direct,
    /// One answer after step-by-step reasoning.
    Cot,
    /// --n reasoning paths, majority vote.
    SelfConsistency,
    /// Up to --n paths in waves of --wave, stopping once the vote is settled.
    Adaptive,
    /// --n candidates, the best score wins: the model judges each, or with --judge verifier the
    /// task's exact checker (Game of 24).
    BestOfN,
    /// Tree of Thoughts, beam search: --width states kept per step, --depth steps, --proposals
    /// next steps proposed per state, --value-samples evaluations per state.
    Tot,
    /// Tree of Thoughts, depth-first with backtracking (prunes states below "likely").
    TotDfs,
    /// Draft, critique, revise up to --rounds times; keeps the best-scored version.
    Refine,
    /// Adaptive allocation: a first wave of --wave samples; if they disagree, --n minus --wave
    /// more (or, with --escalate-url, --escalate-samples from that stronger model).
    Allocate,
}

/// Who scores best-of-n candidates.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JudgeName {
    /// The model rates each candidate.
    Model,
    /// The task's exact checker (only tasks that have one: Game of 24).
    Verifier,
}

/// How answers are read from completions.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExtractorName {
    /// Answer markers, `\boxed{}`, `####`, then the last number.
    Auto,
    /// A number (exact normalisation).
    Number,
    /// `\boxed{…}`.
    Boxed,
    /// A multiple-choice letter A–E.
    Choice,
}

/// Provider, strategy, sampling and budget settings shared by `run` and `eval`.
#[derive(Args, Debug)]
pub(crate) struct Setup {
    /// The provider.
    #[arg(long, value_enum, default_value = "llama-cpp")]
    pub(crate) provider: ProviderName,
    /// The API root (defaults per provider; llama-cpp: http://127.0.0.1:8790/v1).
    #[arg(long)]
    pub(crate) base_url: Option<String>,
    /// The model name (required except for llama-cpp).
    #[arg(long)]
    pub(crate) model: Option<String>,
    /// Read the API key from this environment variable instead of the provider's default one.
    #[arg(long)]
    pub(crate) api_key_env: Option<String>,
    /// The strategy.
    #[arg(long, value_enum, default_value = "self-consistency")]
    pub(crate) strategy: StrategyName,
    /// Samples (self-consistency), most samples (adaptive) or candidates (best-of-n).
    #[arg(long, default_value_t = 8)]
    pub(crate) n: u32,
    /// Samples per wave (adaptive).
    #[arg(long, default_value_t = 2)]
    pub(crate) wave: u32,
    /// Most model calls at once.
    #[arg(long, default_value_t = 8)]
    pub(crate) concurrency: u32,
    /// Sampling temperature.
    #[arg(long, default_value_t = 0.7)]
    pub(crate) temperature: f32,
    /// Most tokens per completion.
    #[arg(long, default_value_t = 512)]
    pub(crate) max_tokens: u32,
    /// Sampling seed.
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// How answers are extracted.
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) extractor: ExtractorName,
    /// Reasoning effort for reasoning models (OpenAI `reasoning_effort`).
    #[arg(long, value_parser = ["low", "medium", "high"])]
    pub(crate) reasoning_effort: Option<String>,
    /// Thinking budget in tokens (Anthropic extended thinking).
    #[arg(long)]
    pub(crate) thinking_budget: Option<u32>,
    /// Stop the run after this many tokens in all.
    #[arg(long)]
    pub(crate) max_total_tokens: Option<u64>,
    /// Stop the run after this many dollars.
    #[arg(long)]
    pub(crate) max_cost: Option<f64>,
    /// Stop the run after this many seconds.
    #[arg(long)]
    pub(crate) max_seconds: Option<f64>,
    /// Slots of the llama.cpp server (its most choices per request).
    #[arg(long, default_value_t = 8)]
    pub(crate) slots: u32,
    /// Who scores best-of-n candidates.
    #[arg(long, value_enum, default_value = "model")]
    pub(crate) judge: JudgeName,
    /// Tree of Thoughts: states kept per step (beam width).
    #[arg(long, default_value_t = 5)]
    pub(crate) width: u32,
    /// Tree of Thoughts: steps before the final answer.
    #[arg(long, default_value_t = 3)]
    pub(crate) depth: u32,
    /// Tree of Thoughts: next steps proposed per state.
    #[arg(long, default_value_t = 5)]
    pub(crate) proposals: u32,
    /// Tree of Thoughts: steps proposed in one call, or sampled one per call.
    #[arg(long, value_parser = ["propose", "sample"], default_value = "propose")]
    pub(crate) generator: String,
    /// Tree of Thoughts, depth-first: the lowest value a state may have and still be explored
    /// (sure 1, likely 0.5, impossible 0).
    #[arg(long, default_value_t = 0.5)]
    pub(crate) threshold: f64,
    /// Tree of Thoughts: value evaluations per state.
    #[arg(long, default_value_t = 1)]
    pub(crate) value_samples: u32,
    /// Self-refine: most revisions.
    #[arg(long, default_value_t = 2)]
    pub(crate) rounds: u32,
    /// Adaptive allocation: a stronger model's OpenAI-compatible API root (a llama.cpp
    /// server), asked only when the first wave disagrees.
    #[arg(long)]
    pub(crate) escalate_url: Option<String>,
    /// Adaptive allocation: samples asked of the stronger model.
    #[arg(long, default_value_t = 2)]
    pub(crate) escalate_samples: u32,
}

impl Setup {
    /// The model: the built-in one, or a provider with its key from the environment.
    pub(crate) fn model(&self) -> Result<CliModel, String> {
        if self.provider == ProviderName::Builtin {
            let path = match &self.model {
                Some(path) => PathBuf::from(path),
                None => default_builtin_file()?,
            };
            let model = BuiltinModel::open(&path).map_err(|e| e.to_string())?;
            return Ok(CliModel::Builtin(model));
        }
        self.remote_model().map(CliModel::Remote)
    }

    /// The stronger model adaptive allocation escalates to, if one was given.
    pub(crate) fn escalation_model(&self) -> Result<Option<AnyModel>, String> {
        let Some(url) = &self.escalate_url else { return Ok(None) };
        let config = OpenAiConfig::llama_cpp(url.clone(), self.slots);
        let config = OpenAiConfig { model: "escalation".to_owned(), ..config };
        thinkscale_providers::OpenAiCompatible::new(config)
            .map(|model| Some(model.into()))
            .map_err(|e| e.to_string())
    }

    fn remote_model(&self) -> Result<AnyModel, String> {
        let key = |default: &str| -> Result<String, String> {
            let var = self.api_key_env.as_deref().unwrap_or(default);
            std::env::var(var)
                .map_err(|_| format!("set {var} to your API key (or pass --api-key-env)"))
        };
        let optional_key = |default: &str| {
            std::env::var(self.api_key_env.as_deref().unwrap_or(default)).unwrap_or_default()
        };
        let model = |what: &str| {
            self.model.clone().ok_or_else(|| format!("--model is required for {what}"))
        };
        let mut config = match self.provider {
            ProviderName::LlamaCpp => {
                OpenAiConfig::llama_cpp("http://127.0.0.1:8790/v1", self.slots)
            }
            ProviderName::OpenaiCompatible => {
                let base =
                    self.base_url.clone().ok_or("--base-url is required for openai-compatible")?;
                OpenAiConfig::new(base, model("openai-compatible")?)
                    .api_key(optional_key("THINKSCALE_API_KEY"))
            }
            ProviderName::Openai => OpenAiConfig::openai(key("OPENAI_API_KEY")?, model("openai")?),
            ProviderName::Gemini => gemini::config(key("GEMINI_API_KEY")?, model("gemini")?),
            ProviderName::Openrouter => {
                OpenAiConfig::openrouter(key("OPENROUTER_API_KEY")?, model("openrouter")?)
            }
            ProviderName::Groq => OpenAiConfig::groq(key("GROQ_API_KEY")?, model("groq")?),
            ProviderName::Together => {
                OpenAiConfig::together(key("TOGETHER_API_KEY")?, model("together")?)
            }
            ProviderName::Deepseek => {
                OpenAiConfig::deepseek(key("DEEPSEEK_API_KEY")?, model("deepseek")?)
            }
            ProviderName::Ollama => OpenAiConfig::ollama(model("ollama")?),
            ProviderName::Builtin => {
                return Err("the built-in model is not a remote provider".into());
            }
            ProviderName::Anthropic => {
                let mut config =
                    AnthropicConfig::new(key("ANTHROPIC_API_KEY")?, model("anthropic")?);
                if let Some(base) = &self.base_url {
                    config.base_url = base.clone();
                }
                let model =
                    thinkscale_providers::Anthropic::new(config).map_err(|e| e.to_string())?;
                return Ok(model.into());
            }
        };
        if let Some(base) = &self.base_url {
            config.base_url = base.clone();
        }
        if self.provider == ProviderName::LlamaCpp
            && let Some(name) = &self.model
        {
            config.model = name.clone();
        }
        thinkscale_providers::OpenAiCompatible::new(config)
            .map(Into::into)
            .map_err(|e| e.to_string())
    }

    /// The task for `question`.
    pub(crate) fn task(&self, question: &str) -> Task {
        let extractor = match self.extractor {
            ExtractorName::Auto => Extractor::Auto,
            ExtractorName::Number => Extractor::number(),
            ExtractorName::Boxed => Extractor::Boxed,
            ExtractorName::Choice => Extractor::Choice { letters: "ABCDE".into() },
        };
        Task::new(question).extractor(extractor)
    }

    /// The run's budget.
    pub(crate) fn budget(&self) -> Budget {
        let mut budget = Budget::unlimited();
        if let Some(tokens) = self.max_total_tokens {
            budget = budget.max_tokens(tokens);
        }
        if let Some(dollars) = self.max_cost {
            budget = budget.max_cost_usd(dollars);
        }
        if let Some(seconds) = self.max_seconds {
            budget = budget.max_wall_ms((seconds * 1000.0).max(0.0) as u64);
        }
        budget
    }
}
