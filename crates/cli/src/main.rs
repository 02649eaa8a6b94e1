//! `thinkscale`: the terminal front end. `run` answers one question with a strategy and shows the
//! branches, votes and stop as they happen; `eval` runs a strategy over a dataset and prints
//! accuracy, samples, tokens and time — the harness the README's benchmarks use.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod args;
mod eval;
mod problems;
mod programs;
mod progress;
mod provider;
mod selection;
mod shared_samples;
mod strategies;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

/// Runs `thinkscale requantize`.
fn requantize(args: &args::RequantizeArgs) -> Result<ExitCode, String> {
    use thinkscale_builtin::requantize::{Target, requantize};
    let target = if args.to == "q4_0" { Target::Q4_0 } else { Target::Q8_0 };
    let open_error = |path: &std::path::Path, e: std::io::Error| format!("{}: {e}", path.display());
    let mut input = std::io::BufReader::new(
        std::fs::File::open(&args.input).map_err(|e| open_error(&args.input, e))?,
    );
    // Written beside the target and renamed, so an interrupted run never leaves a half file.
    let partial = args.output.with_extension("partial");
    let mut output = std::io::BufWriter::new(
        std::fs::File::create(&partial).map_err(|e| open_error(&partial, e))?,
    );
    let summary = requantize(&mut input, &mut output, target).map_err(|e| e.to_string())?;
    std::io::Write::flush(&mut output).map_err(|e| open_error(&partial, e))?;
    drop(output);
    std::fs::rename(&partial, &args.output).map_err(|e| open_error(&args.output, e))?;
    eprintln!(
        "{}: {} tensors converted to {}, {} copied",
        args.output.display(),
        summary.converted,
        args.to,
        summary.copied
    );
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("thinkscale: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run(run) => progress::run(run).await,
            Command::Eval(eval) => eval::eval(eval).await,
            Command::Requantize(args) => requantize(&args),
        }
    });
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("thinkscale: {message}");
            ExitCode::from(2)
        }
    }
}
