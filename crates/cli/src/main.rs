//! `thinkscale`: the terminal front end. `run` answers one question with a strategy and shows the
//! branches, votes and stop as they happen; `eval` runs a strategy over a dataset and prints
//! accuracy, samples, tokens and time — the harness the README's benchmarks use.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod args;
mod eval;
mod progress;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

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
