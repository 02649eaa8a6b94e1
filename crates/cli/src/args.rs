//! Command-line arguments, and turning them into a task and a budget (the provider is built in
//! `provider.rs`, the strategy in `strategies.rs`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use thinkscale_engine::model::Message;
use thinkscale_engine::prelude::*;

use crate::provider::ModelArgs;

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
    /// The question (or give a conversation with --messages).
    #[arg(required_unless_present = "messages", conflicts_with = "messages")]
    pub(crate) question: Option<String>,
    /// A conversation to continue, from a JSON file: an array of `{"role", "content"}` turns
    /// (system, user, assistant) ending with the user's question, or `{"messages": [...]}`.
    #[arg(long, value_name = "FILE")]
    pub(crate) messages: Option<PathBuf>,
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

impl RunArgs {
    /// The task: the question, or the conversation read from `--messages`.
    pub(crate) fn task(&self) -> Result<Task, String> {
        let Some(path) = &self.messages else {
            return self.setup.task(self.question.as_deref().unwrap_or_default());
        };
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--messages {shown}: cannot read it: {e}"))?;
        let mut value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("--messages {shown}: not JSON: {e}"))?;
        if let Some(messages) = value.get_mut("messages") {
            value = messages.take();
        }
        let messages: Vec<Message> = serde_path_to_error::deserialize(value).map_err(|e| {
            let at = match e.path().to_string().as_str() {
                "." => String::new(),
                path => format!(" at {path}"),
            };
            format!("--messages {shown}{at}: {}", e.inner())
        })?;
        self.setup.task_of(Task::conversation(messages))
    }
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
    /// Draw --n samples per problem once and judge them four ways: one sample, the extracted
    /// answers' vote, clusters of the whole replies and universal self-consistency (the two
    /// free-form methods never see an extracted answer). --strategy is not used.
    #[arg(long, conflicts_with = "traces")]
    pub(crate) compare_selection: bool,
    /// Keep every model response in this file (JSON lines) and answer a request made before
    /// from it: a stopped run resumes where it was, and the same samples can be judged again
    /// without model calls (tokens are counted as first spent; wall times are the replay's).
    /// Responses are matched by request (messages, sampling, model name), not by server: keep
    /// one file per model.
    #[arg(long)]
    pub(crate) samples: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) setup: Setup,
}

/// Which strategy.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StrategyName {
    /// One answer, no reasoning prompt.
    Direct,
    /// One answer after step-by-step reasoning.
    Cot,
    /// --n reasoning paths, majority vote (free-form replies are clustered).
    SelfConsistency,
    /// Universal self-consistency: --n replies, then one selector call names the most
    /// consistent (no answer key needed).
    Usc,
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
    /// A JSON value (a fenced block, else the last object or array), voted on by value; with
    /// --schema, checked against a JSON Schema.
    Json,
    /// No answer key: the replies themselves are clustered (or, with --strategy usc, a selector
    /// reads them).
    FreeForm,
}

/// Provider, strategy, sampling and budget settings shared by `run` and `eval`.
#[derive(Args, Debug)]
pub(crate) struct Setup {
    #[command(flatten)]
    pub(crate) models: ModelArgs,
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
    /// With --extractor json: a JSON Schema file answers must fit (others are no answer).
    #[arg(long, value_name = "FILE")]
    pub(crate) schema: Option<PathBuf>,
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
    /// Adaptive allocation: samples asked of the stronger model.
    #[arg(long, default_value_t = 2)]
    pub(crate) escalate_samples: u32,
}

impl Setup {
    /// The task for `question`.
    pub(crate) fn task(&self, question: &str) -> Result<Task, String> {
        self.task_of(Task::new(question))
    }

    /// `task` with the extractor these flags name (reading `--schema`).
    pub(crate) fn task_of(&self, task: Task) -> Result<Task, String> {
        let schema = match (&self.schema, self.extractor) {
            (None, _) => None,
            (Some(path), ExtractorName::Json) => {
                let shown = path.display();
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("--schema {shown}: cannot read it: {e}"))?;
                Some(
                    serde_json::from_str(&text)
                        .map_err(|e| format!("--schema {shown}: not JSON: {e}"))?,
                )
            }
            (Some(_), _) => return Err("--schema needs --extractor json".to_owned()),
        };
        let extractor = match self.extractor {
            ExtractorName::Auto => Extractor::Auto,
            ExtractorName::Number => Extractor::number(),
            ExtractorName::Boxed => Extractor::Boxed,
            ExtractorName::Choice => Extractor::Choice { letters: "ABCDE".into() },
            ExtractorName::Json => Extractor::Json { schema },
            ExtractorName::FreeForm => Extractor::FreeForm,
        };
        Ok(task.extractor(extractor))
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
