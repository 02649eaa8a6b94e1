// The npm package as a user gets it: the packed tarball installed into a fresh project and
// imported by name (the `node` export condition), run against the real llama.cpp server that
// scripts/test starts, and against small local HTTP servers that fail on purpose.
//
// Needs scripts/build-npm first and THINKSCALE_MODEL_URL. Run: node --test tests/npm/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { installInto, modelServer } from "./install.mjs";

const KEY = "sk-test-DO-NOT-LEAK-4242424242";
let project, thinkscale, baseURL;

before(async () => {
  project = installInto();
  // Imported from inside the project, so resolution goes through its node_modules and exports map.
  writeFileSync(join(project, "entry.mjs"), 'export * from "thinkscale";\n');
  thinkscale = await import(pathToFileURL(join(project, "entry.mjs")).href);
  baseURL = modelServer();
});

function llamaCpp(extra = {}) {
  return new thinkscale.Engine({
    provider: { kind: "openai", preset: "llamaCpp", baseURL, apiKey: KEY, model: "smollm2", maxN: 4, ...extra },
  });
}

/** A loopback server answering every request with `status` and `body`; records what it got. */
async function failingServer(status, body, headers = {}) {
  const seen = [];
  const server = createServer((request, response) => {
    seen.push({ url: request.url, authorization: request.headers.authorization });
    request.resume();
    response.writeHead(status, { "content-type": "application/json", ...headers });
    response.end(JSON.stringify(body));
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${server.address().port}/v1`, seen, close: () => new Promise((ok) => server.close(ok)) };
}

test("the package resolves to its Node build, with types and the documented exports", () => {
  const manifest = JSON.parse(readFileSync(join(project, "node_modules/thinkscale/package.json"), "utf8"));
  assert.equal(manifest.exports["."].node, "./node.js");
  assert.equal(manifest.exports["."].types, "./index.d.ts");
  for (const name of ["Engine", "importTrace", "exportTrace", "replayTrace"]) {
    assert.equal(typeof thinkscale[name], "function", name);
  }
  const types = readFileSync(join(project, "node_modules/thinkscale/types.d.ts"), "utf8");
  assert.match(types, /export type RunEvent = /);
  assert.match(types, /export type StrategyConfig = /);
});

test("free-form replies from the real server are clustered by the caller's embedding", async () => {
  const engine = llamaCpp();
  const embedded = [];
  // A toy embedding (letter counts): what matters is that the engine asks for it and uses it.
  const embed = (text) => {
    embedded.push(text);
    const vector = new Float64Array(26).fill(0.01);
    for (const c of text.toLowerCase()) if (c >= "a" && c <= "z") vector[c.charCodeAt(0) - 97] += 1;
    return vector;
  };
  const events = [];
  const result = await engine.run("Write a haiku about autumn.", {
    strategy: { kind: "selfConsistency", samples: 4, sampling: { maxTokens: 64, seed: 7 } },
    extractor: { kind: "freeForm" },
    embed,
    onEvent: (event) => events.push(event),
  });
  const done = result.branches.filter((b) => b.status === "done");
  assert.ok(done.length >= 2, "real replies finished");
  assert.ok(embedded.length >= 2, "the embedding was asked for");
  for (const text of embedded) {
    assert.ok(done.some((b) => b.text.trim().endsWith(text.trim())), `embedded a real reply: ${text}`);
  }
  assert.equal(new Set(embedded).size, embedded.length, "each reply is embedded once");
  assert.ok(events.some((e) => e.type === "clustered"), "the clusters are events");
  assert.ok(done.some((b) => b.text === result.text), "a real reply is the answer");
  // A similarity that fails stops the run with the finished replies kept.
  const failed = await engine.run("Write a haiku about autumn.", {
    strategy: { kind: "selfConsistency", samples: 4, sampling: { maxTokens: 64, seed: 7 } },
    extractor: { kind: "freeForm" },
    similarity: () => NaN,
  }).then(() => null, (error) => error);
  assert.equal(failed?.name, "CallbackError");
  assert.match(failed.message, /similarity returned NaN/);
  assert.ok(failed.result.branches.filter((b) => b.status === "done").length >= 2);
});

test("self-consistency runs against the real server: branches, votes, spend, events in order", async () => {
  const engine = llamaCpp();
  const events = [];
  const result = await engine.run("What is 2 + 3?", {
    strategy: { kind: "selfConsistency", samples: 4, sampling: { maxTokens: 96, seed: 7 } },
    onEvent: (event) => events.push(event),
  });
  assert.equal(result.branches.length, 4);
  assert.ok(result.branches.every((b) => b.status === "done" && b.text.length > 0));
  assert.ok(result.votes.length >= 1, "at least one answer was voted on");
  assert.equal(result.answer.key, result.votes[0].answer.key, "the answer is the vote's winner");
  assert.equal(result.stop.kind, "completed");
  assert.equal(result.spend.samples, 4);
  assert.ok(result.spend.completionTokens > 0 && result.spend.promptTokens > 0);
  assert.equal(events[0].type, "runStarted");
  assert.equal(events.at(-1).type, "runFinished");
  assert.ok(events.some((e) => e.type === "tokenDelta"), "tokens streamed");
  assert.deepEqual(events.map((e) => e.type), result.trace.events.map((e) => e.type));
  // The trace carries the run but never the key; it round-trips and replays to the same result.
  const exported = thinkscale.exportTrace(result.trace);
  assert.ok(!exported.includes(KEY) && !exported.includes("DO-NOT-LEAK"));
  assert.ok(!JSON.stringify(result).includes("DO-NOT-LEAK"));
  const replayed = thinkscale.replayTrace(thinkscale.importTrace(exported));
  assert.deepEqual(replayed.answer, result.answer);
  assert.deepEqual(replayed.votes, result.votes);
  assert.ok(thinkscale.exportTrace(exported, true).length < exported.length, "without deltas is smaller");
});

test("aborting mid-run rejects with an AbortError that keeps what the run did", async () => {
  const engine = llamaCpp();
  const controller = new AbortController();
  let deltas = 0;
  const started = Date.now();
  const error = await engine
    .run("Write a long story about a lighthouse keeper.", {
      strategy: { kind: "selfConsistency", samples: 2, sampling: { maxTokens: 400 } },
      signal: controller.signal,
      onEvent: (event) => { if (event.type === "tokenDelta" && ++deltas === 3) controller.abort(); },
    })
    .then(() => assert.fail("the run should have been aborted"), (e) => e);
  assert.equal(error.name, "AbortError");
  assert.equal(error.code, "aborted");
  assert.equal(error.result.stop.kind, "cancelled");
  assert.ok(error.result.branches.length >= 1);
  assert.ok(error.result.branches.every((b) => b.status === "cancelled"));
  assert.ok(Date.now() - started < 10_000, "400-token samples were not generated to the end");
  // An already-aborted signal never starts a run.
  const early = await engine.run("2 + 2?", { signal: AbortSignal.abort() }).catch((e) => e);
  assert.equal(early.name, "AbortError");
});

test("the stream yields the same events; breaking out of the loop stops the run", async () => {
  const engine = llamaCpp();
  const types = [];
  for await (const event of engine.stream("What is 1 + 1?", {
    strategy: { kind: "selfConsistency", samples: 2, sampling: { maxTokens: 48 } },
  })) {
    types.push(event.type);
  }
  assert.equal(types[0], "runStarted");
  assert.equal(types.at(-1), "runFinished");
  let seen = 0;
  for await (const event of engine.stream("Tell me a long story.", { strategy: { kind: "chainOfThought" } })) {
    if (++seen === 5) break;
  }
  assert.equal(seen, 5);
});

test("invalid configuration is rejected up front, naming the field", async () => {
  const cases = [
    [() => new thinkscale.Engine({}), "provider"],
    [() => new thinkscale.Engine({ provider: { kind: "openai", model: "m" } }), "provider.baseURL"],
    [() => new thinkscale.Engine({ provider: { kind: "cohere", model: "m" } }), "provider.kind"],
    [() => new thinkscale.Engine({ provider: { kind: "openai", baseURL: "http://example.com/v1", apiKey: "k", model: "m" } }), "provider.baseURL"],
    [() => new thinkscale.Engine({ provider: { kind: "custom" } }), "provider.generate"],
    [() => new thinkscale.Engine({ provider: { kind: "custom", generate() {}, maxn: 2 } }), "provider.maxn"],
    [() => new thinkscale.Engine({ provider: { kind: "custom", generat() {} } }), "provider.generate"],
    [() => new thinkscale.Engine({ provider: { kind: "custom", generate() {}, onDelta() {} } }), "provider.onDelta"],
    [() => new thinkscale.Engine({ provider: { kind: "builtin", model: "m.gguf" } }), "provider.kind"],
    [() => new thinkscale.Engine({ provider: { kind: "custom", generate() {} }, budget: { maxTokens: -1 } }), "budget.maxTokens"],
    [() => new thinkscale.Engine({ provider: { kind: "custom", generate() {} }, bugdet: {} }), "bugdet"],
  ];
  for (const [make, field] of cases) {
    assert.throws(make, (e) => e.name === "InvalidConfigError" && e.code === "invalid_config" && e.field === field,
      `expected an InvalidConfigError on ${field}`);
  }
  const engine = llamaCpp();
  for (const [options, field] of [
    [{ stratgy: { kind: "selfConsistency" } }, "stratgy"],
    [{ strategy: { kind: "selfConsistency", samples: 0 } }, "strategy.samples"],
    [{ strategy: { kind: "treeOfLies" } }, "strategy.kind"],
    [{ strategy: { kind: "selfConsistency", weighting: "meanLogprob" }, budget: { maxCostUsd: 1 } }, "budget.maxCostUsd"],
    [{ signal: "stop" }, "signal"],
    [{ extractor: { kind: "regex", pattern: "(" } }, "extractor.pattern"],
  ]) {
    const error = await engine.run("q", options).catch((e) => e);
    assert.equal(error.code, "invalid_config", JSON.stringify(options));
    assert.equal(error.field, field, error.message);
  }
  assert.throws(() => engine.stream("q", { strategy: { kind: "nope" } }), { code: "invalid_config" });
  // A key next to a mistyped option is not echoed back in serde's message.
  assert.throws(() => new thinkscale.Engine({ provider: { kind: "openai", preset: "groq", apiKey: KEY, model: "m", maxN: KEY } }),
    (e) => e.code === "invalid_config" && !e.message.includes("DO-NOT-LEAK") && e.message.includes("***"));
});

test("provider failures keep their kind, status and message, and the key stays out", async () => {
  const auth = await failingServer(401, { error: { message: "Incorrect API key provided" } });
  try {
    const engine = new thinkscale.Engine({ provider: { kind: "openai", baseURL: auth.url, apiKey: KEY, model: "m" } });
    const error = await engine.run("2 + 2?").catch((e) => e);
    assert.equal(error.name, "AuthenticationError");
    assert.equal(error.code, "auth");
    assert.equal(error.status, 401);
    assert.match(error.providerMessage, /Incorrect API key/);
    assert.equal(error.result.branches[0].status, "failed");
    assert.equal(auth.seen[0].authorization, `Bearer ${KEY}`, "the key went to its own endpoint");
    assert.ok(!JSON.stringify(error.result).includes("DO-NOT-LEAK"));
  } finally { await auth.close(); }

  const limited = await failingServer(429, { error: { message: "slow down" } }, { "retry-after-ms": "1" });
  try {
    const engine = new thinkscale.Engine({ provider: { kind: "openai", baseURL: limited.url, model: "m" } });
    const events = [];
    const error = await engine.run("2 + 2?", { onEvent: (e) => events.push(e.type) }).catch((e) => e);
    assert.equal(error.name, "RateLimitError");
    assert.equal(error.code, "rate_limited");
    assert.equal(error.status, 429);
    assert.ok(events.includes("branchRetried"), "retries are visible as events");
  } finally { await limited.close(); }

  const engine = new thinkscale.Engine({ provider: { kind: "openai", baseURL: "http://127.0.0.1:9/v1", model: "m" } });
  const network = await engine.run("2 + 2?").catch((e) => e);
  assert.equal(network.code, "network");
  assert.equal(network.name, "NetworkError");
});

test("a budget too small for any answer rejects as budget_exhausted; a partial one resolves", async () => {
  const engine = llamaCpp();
  const error = await engine.run("2 + 2?", { budget: { maxTokens: 5 } }).catch((e) => e);
  assert.equal(error.name, "BudgetExhaustedError");
  assert.equal(error.code, "budget_exhausted");
  assert.equal(error.result.stop.kind, "budget");
  let calls = 0;
  const counting = new thinkscale.Engine({
    provider: { kind: "custom", generate: async () => `Sample ${++calls}. The answer is: 7` },
  });
  const result = await counting.run("What is 3 + 4?", {
    strategy: { kind: "selfConsistency", samples: 8, concurrency: 1 },
    budget: { maxSamples: 2 },
  });
  assert.equal(result.stop.kind, "budget");
  assert.equal(calls, 2, "no call beyond the budget");
  assert.equal(result.spend.samples, 2);
  assert.equal(result.answer.key, "7", "the two samples that ran still answer");
});

test("a custom provider plugs in a JS function: streamed deltas, n, errors, abort", async () => {
  const calls = [];
  const engine = new thinkscale.Engine({
    provider: {
      kind: "custom",
      id: "echo-model",
      maxN: 3,
      async generate(request, { onDelta, signal }) {
        calls.push(request);
        assert.ok(signal instanceof AbortSignal);
        const completions = [];
        for (let choice = 0; choice < request.n; choice++) {
          const text = choice === 2 ? "I think 5. The answer is: 5" : "2 + 2 = 4. The answer is: 4";
          for (const word of text.split(/(?= )/)) onDelta({ choice, text: word });
          completions.push({ text, finishReason: "stop", usage: { promptTokens: 10, completionTokens: 9, reasoningTokens: 0 } });
        }
        return { completions };
      },
    },
  });
  assert.equal(engine.model, "echo-model");
  const deltas = [];
  const result = await engine.run("What is 2 + 2?", {
    strategy: { kind: "selfConsistency", samples: 3 },
    onEvent: (e) => e.type === "tokenDelta" && deltas.push(e.text),
  });
  assert.equal(calls.length, 1, "three samples in one call of n = 3");
  assert.equal(calls[0].n, 3);
  assert.equal(calls[0].messages.at(-1).role, "user");
  assert.equal(result.answer.key, "4");
  assert.deepEqual(result.votes.map((v) => [v.answer.key, v.votes]), [["4", 2], ["5", 1]]);
  assert.ok(deltas.join("").includes("The answer is: 5"));
  assert.equal(result.spend.completionTokens, 27);

  const failing = new thinkscale.Engine({
    provider: { kind: "custom", generate: async () => { throw Object.assign(new Error("quota gone"), { status: 429 }); } },
  });
  const error = await failing.run("2 + 2?").catch((e) => e);
  assert.equal(error.code, "rate_limited");
  assert.equal(error.providerMessage, "quota gone");

  const wrongCount = new thinkscale.Engine({ provider: { kind: "custom", maxN: 2, generate: async () => ({ completions: [] }) } });
  const protocol = await wrongCount.run("2 + 2?").catch((e) => e);
  assert.equal(protocol.code, "protocol");
  assert.match(protocol.message, /0 completions/);

  let aborted = false;
  const slow = new thinkscale.Engine({
    provider: {
      kind: "custom",
      generate: (request, { signal }) => new Promise((_, reject) => {
        signal.addEventListener("abort", () => { aborted = true; reject(new DOMException("stop", "AbortError")); });
      }),
    },
  });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  const abortError = await slow.run("2 + 2?", { signal: controller.signal }).catch((e) => e);
  assert.equal(abortError.name, "AbortError");
  assert.ok(aborted, "the provider's own signal was aborted");
});

test("a throwing onEvent stops the run and rejects with a CallbackError: what it threw, and what finished; a failing stream throws", async () => {
  let calls = 0;
  const engine = new thinkscale.Engine({
    provider: { kind: "custom", generate: async () => { calls++; return "The answer is: 1"; } },
  });
  const thrown = new RangeError("the UI gave up");
  const error = await engine.run("q", {
    strategy: { kind: "selfConsistency", samples: 6, concurrency: 1 },
    onEvent: (event) => { if (event.type === "branchFinished") throw thrown; },
  }).catch((e) => e);
  assert.equal(error.name, "CallbackError", `${error}`);
  assert.equal(error.code, "callback_failed");
  assert.equal(error.cause, thrown, "the thrown value is the cause");
  assert.equal(error.result.branches.length, 1, "the sample that finished is kept");
  assert.equal(error.result.answer.text, "1");
  assert.equal(calls, 1, "no sample started after the callback threw");

  const failing = new thinkscale.Engine({
    provider: { kind: "custom", generate: async () => { throw Object.assign(new Error("nope"), { status: 403 }); } },
  });
  const seen = [];
  const streamError = await (async () => {
    for await (const event of failing.stream("q")) seen.push(event.type);
  })().catch((e) => e);
  assert.equal(streamError.code, "auth");
  assert.deepEqual(seen.slice(0, 2), ["runStarted", "branchStarted"]);
  assert.equal(seen.at(-1), "runFinished", "every event came before the error");
});

test("traces that do not describe a run are refused with the event at fault", () => {
  assert.throws(() => thinkscale.importTrace("{}"), { name: "InvalidTraceError", code: "invalid_trace" });
  assert.throws(() => thinkscale.importTrace({ format: "thinkscale.trace", version: 1, events: [{ atMs: 0, type: "runFinished", outcome: {} }] }),
    { code: "invalid_trace" });
  assert.throws(() => thinkscale.importTrace({ format: "thinkscale.trace", version: 99, events: [] }), /version 99/);
});

after(() => {});

test("tree of thoughts and self-refine run from JavaScript against the real server, as trees", async () => {
  const engine = llamaCpp();
  const events = [];
  const tree = await engine.run("Use the numbers 4 4 6 8 and + - * / to make 24.", {
    strategy: { kind: "treeOfThoughts", search: { kind: "beam", width: 1 }, depth: 1, proposals: 3,
      generator: "sample", prompts: { preset: "game24" }, initialState: "4 4 6 8", sampling: { maxTokens: 40, seed: 3 } },
    extractor: { kind: "answerIs" },
    onEvent: (event) => events.push(event),
  });
  const started = events.filter((e) => e.type === "branchStarted");
  assert.deepEqual(started.filter((e) => e.kind === "thought").length, 3, "three sampled steps");
  // The beam of one keeps one (blank steps, if the small model writes any, are pruned too).
  assert.equal(events.filter((e) => e.type === "nodePruned").length, 2);
  const answer = started.find((e) => e.kind === "sample");
  assert.ok(answer && answer.parent !== null, "the answer hangs under the kept step");
  assert.equal(tree.stop.kind, "completed");
  const refine = await engine.run("What is 9 + 10?", {
    strategy: { kind: "selfRefine", rounds: 1, critiqueTokens: 64, sampling: { maxTokens: 64 } },
    extractor: { kind: "number" },
  });
  const kinds = refine.branches.map((b) => b.kind);
  assert.deepEqual(kinds.slice(0, 2), ["draft", "critique"]);
  assert.ok(refine.branches.every((b, i) => i === 0 || b.parent === refine.branches[i - 1].id), "a chain");
  await assert.rejects(engine.run("x", { strategy: { kind: "treeOfThoughts", depth: 0 } }),
    (error) => error.code === "invalid_config" && /strategy\.depth/.test(error.message));
});
