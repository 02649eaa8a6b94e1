// @ts-check
// A Node script: adaptive self-consistency against an OpenAI-compatible server, streamed.
//
//   THINKSCALE_BASE_URL=http://127.0.0.1:8080/v1 node run.mjs "What is 17 * 3?"
//   OPENAI_API_KEY=sk-… node run.mjs "…"     (uses api.openai.com with gpt-4o-mini)
import { Engine } from "thinkscale";

const question = process.argv[2] ?? "What is 17 * 3?";
/** @type {import("thinkscale").ProviderOptions} */
const provider = process.env.OPENAI_API_KEY
  ? { kind: "openai", preset: "openai", apiKey: process.env.OPENAI_API_KEY, model: "gpt-4o-mini" }
  : { kind: "openai", preset: "llamaCpp", baseURL: process.env.THINKSCALE_BASE_URL ?? "http://127.0.0.1:8080/v1", model: "local", maxN: 4 };

const engine = new Engine({ provider, budget: { maxTokens: 20_000, maxWallMs: 120_000 } });
for await (const event of engine.stream(question, {
  strategy: { kind: "adaptiveConsistency", maxSamples: 8, sampling: { maxTokens: 160 } },
  signal: AbortSignal.timeout(120_000),
})) {
  if (event.type === "branchFinished") console.log(`sample #${event.id}: ${event.answer?.text ?? "(no answer)"}`);
  if (event.type === "earlyStop") console.log(`settled early: ${event.reason.kind}`);
  if (event.type === "runFinished") {
    const { answer, votes, spend } = event.outcome;
    console.log(`answer: ${answer?.text ?? "none"}`);
    console.log(`votes: ${votes.map((v) => `${v.answer.text}×${v.votes}`).join(" ")}`);
    console.log(`spent: ${spend.samples} samples, ${spend.promptTokens + spend.completionTokens} tokens, ${spend.elapsedMs} ms`);
  }
}
