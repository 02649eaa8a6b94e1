"""Times llama.cpp's server on the built-in model's benchmark: the same prompt, exactly 128 new
tokens per sample (ignore_eos), 1, 4 and 8 samples in one request, best of 3. Prints the same
Markdown table as `cargo bench -p thinkscale-builtin --bench throughput`.

    python3 scripts/bench_llama_cpp.py http://127.0.0.1:8792
"""
import json
import sys
import time
import urllib.request

TOKENS = 128
QUESTION = ("Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins "
            "for her friends every day with four. She sells the remainder at the farmers' market daily for $2 "
            "per fresh duck egg. How much in dollars does she make every day at the farmers' market?")


def post(root, n):
    body = {"messages": [{"role": "user", "content": QUESTION}], "max_tokens": TOKENS, "n": n,
            "temperature": 0.7, "seed": 42, "ignore_eos": True, "cache_prompt": False}
    request = urllib.request.Request(root + "/v1/chat/completions", json.dumps(body).encode(),
                                     {"content-type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        reply = json.load(response)
    return time.perf_counter() - started, reply


def main():
    root = sys.argv[1].rstrip("/")
    print("| samples × tokens | prefill | wall time | decode tok/s (all samples) | vs 1 sample |")
    print("|---|---|---|---|---|")
    best = {}
    for n in (1, 4, 8):
        runs = [post(root, n) for _ in range(3)]
        wall, reply = min(runs, key=lambda run: run[0])
        timings = reply.get("timings", {})
        prefill_ms = timings.get("prompt_ms", float("nan"))
        decode_s = wall - prefill_ms / 1000
        best[n] = wall
        print(f"| {n} × {TOKENS} (prompt {reply['usage']['prompt_tokens']}) | {prefill_ms:.0f} ms | {wall:.2f} s "
              f"| {n * (TOKENS - 1) / decode_s:.1f} | {wall / best[1]:.2f}× |")


main()
