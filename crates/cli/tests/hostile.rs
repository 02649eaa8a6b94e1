//! `thinkscale run` against servers that misbehave (testkit's `HostileServer`), as a user would
//! run it: the real binary, real HTTP on loopback. A server that ignores `max_tokens` cannot make
//! the terminal hold megabytes or count millions of tokens; a stop keeps the answers that
//! finished; failures end in plain words.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use thinkscale_testkit::{HostileServer, Misbehaviour};

/// Runs the CLI against `server` with `args` (after `run`); fails if it takes over `limit`.
fn run(server: &HostileServer, args: &[&str], limit: Duration) -> (Output, Duration) {
    let base = server.base_url();
    let mut command = Command::new(env!("CARGO_BIN_EXE_thinkscale"));
    command.args(["run", "--provider", "llama-cpp", "--base-url", &base, "--slots", "4"]);
    command.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let child = command.spawn().expect("the thinkscale binary runs");
    let pid = child.id();
    // Read the pipes while it runs (a full pipe would block it), on a thread of their own.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    match finished.recv_timeout(limit) {
        Ok(output) => (output.unwrap(), started.elapsed()),
        Err(_) => {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            panic!("thinkscale run did not end within {limit:?}");
        }
    }
}

fn events(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON event per line"))
        .collect()
}

#[test]
fn answers_of_five_megabytes_that_ignore_max_tokens_end_within_the_requests_limit() {
    for behaviour in [Misbehaviour::huge_answer(5_000_000), Misbehaviour::huge_delta(5_000_000)] {
        let server = HostileServer::start(behaviour.clone()).unwrap();
        let args = ["--n", "4", "--max-tokens", "256", "--json", "What is 2 + 2?"];
        let (output, _) = run(&server, &args, Duration::from_secs(120));
        let events = events(&output);
        let finished: Vec<&Value> =
            events.iter().filter(|e| e["type"] == "branchFinished").collect();
        assert_eq!(finished.len(), 4, "{behaviour:?}: every branch ends");
        for branch in &finished {
            assert_eq!(branch["finishReason"], "length", "{behaviour:?}: cut at the limit");
            assert!(branch["usage"]["completionTokens"].as_u64().unwrap() <= 256);
            assert!(branch["text"].as_str().unwrap().len() <= 256 * 16);
        }
        let outcome = &events.last().unwrap()["outcome"];
        let spend = &outcome["spend"];
        assert!(spend["completionTokens"].as_u64().unwrap() <= 4 * 256, "{spend}");
        assert!(output.stdout.len() < 200_000, "{} bytes of output", output.stdout.len());
    }
}

#[test]
fn a_time_limit_keeps_the_choice_that_finished_while_the_others_stream_on() {
    // Choice 0 finishes at once; the other three stream a word a second for a minute.
    let server = HostileServer::start(Misbehaviour::StaggeredChoices {
        pause: Duration::from_secs(1),
        deltas: 60,
    })
    .unwrap();
    let args = ["--n", "4", "--max-seconds", "3", "--extractor", "number", "What is 6 * 7?"];
    let (output, took) = run(&server, &args, Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("answer: 42"), "{stdout}");
    assert!(stdout.contains("1 branches (0 failed, 3 cancelled)"), "{stdout}");
    assert!(stdout.contains("stop:   the wall-time budget ran out"), "{stdout}");
    assert!(took < Duration::from_secs(30), "stopped at its limit: {took:?}");
    assert_eq!(server.requests().len(), 1, "one request for the four samples");
}

#[test]
fn a_failed_run_ends_in_plain_words() {
    let server = HostileServer::start(Misbehaviour::HtmlPage).unwrap();
    let (output, _) = run(&server, &["--n", "2", "What is 1 + 1?"], Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "no answer: exit code 1");
    assert!(stdout.contains("answer: (none)"), "{stdout}");
    assert!(stdout.contains("stop:   the model failed: protocol error"), "{stdout}");
    assert!(stdout.contains("text/html"), "names what came back: {stdout}");
    for debug in ["ModelFailed {", "ModelError {", "kind:"] {
        assert!(!stdout.contains(debug), "no Rust Debug output: {stdout}");
    }
}
