//! Speed of the built-in model natively: prefill, single-sample decode, and N samples of one
//! prompt decoded as a batch against one sample alone.
//!
//! `THINKSCALE_BUILTIN_MODEL=$(scripts/models path smollm2-135m-q8) cargo bench -p thinkscale-builtin --bench throughput`
//! Every sample generates exactly `TOKENS` tokens (end-of-turn ignored), so runs compare equal
//! work. Prints a Markdown table; `scripts/bench-builtin` puts llama.cpp's figures beside it.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

// The native model only: the browser's figures come from tests/browser/bench-builtin.mjs.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::time::{Duration, Instant};

    use thinkscale_builtin::BuiltinModel;
    use thinkscale_engine::model::{Message, Request};

    const TOKENS: u32 = 128;
    const REPEATS: usize = 3;

    pub(super) fn main() {
        let path = std::env::var("THINKSCALE_BUILTIN_MODEL")
            .expect("set THINKSCALE_BUILTIN_MODEL to a GGUF file");
        let load_started = Instant::now();
        let model = BuiltinModel::open(&path).expect("the model loads");
        let load = load_started.elapsed();
        let question = "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck egg. How much in dollars does she make every day at the farmers' market?";
        let request = |n: u32| {
            Request::new(vec![Message::user(question)])
                .temperature(0.7)
                .max_tokens(TOKENS)
                .n(n)
                .seed(42)
        };

        // Best of REPEATS for each batch size: the machine is shared and noisy.
        let time = |n: u32| -> (Duration, Duration, u32) {
            (0..REPEATS)
                .map(|_| {
                    let started = Instant::now();
                    let mut generation = model.loaded().start_exact(&request(n)).unwrap();
                    let prefill = started.elapsed();
                    let prompt = generation.prompt_tokens();
                    while !generation.is_done() {
                        generation.step().unwrap();
                    }
                    (prefill, started.elapsed(), prompt)
                })
                .min_by_key(|&(_, total, _)| total)
                .unwrap()
        };
        println!("model: {path} (loaded in {:.2} s)", load.as_secs_f64());
        println!("threads: {}", std::thread::available_parallelism().map_or(1, |n| n.get()));
        println!();
        println!(
            "| samples × tokens | prefill | wall time | decode tok/s (all samples) | vs 1 sample |"
        );
        println!("|---|---|---|---|---|");
        // `BENCH_SAMPLES=8` runs only that batch size (for profiling one shape).
        let sizes: Vec<u32> = std::env::var("BENCH_SAMPLES")
            .unwrap_or_else(|_| "1,4,8".into())
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect();
        let (_, single, _) = time(1);
        for n in sizes {
            let (prefill, total, prompt) = time(n);
            let decode = total - prefill;
            let rate = f64::from(n * (TOKENS - 1)) / decode.as_secs_f64();
            println!(
                "| {n} × {TOKENS} (prompt {prompt}) | {:.0} ms | {:.2} s | {rate:.1} | {:.2}× |",
                prefill.as_secs_f64() * 1e3,
                total.as_secs_f64(),
                total.as_secs_f64() / single.as_secs_f64()
            );
        }
    }
}
