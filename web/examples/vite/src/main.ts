// A Vite + TypeScript app: self-consistency against any OpenAI-compatible server (llama.cpp,
// vLLM, Ollama, …), with the vote drawn as it gathers. Every type comes from the package.
import { Engine, type RunEvent, type RunResult, type ThinkscaleError } from "thinkscale";

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
if (params.has("baseURL")) element<HTMLInputElement>("base-url").value = params.get("baseURL")!;

function showVotes(event: RunEvent) {
  if (event.type !== "voteTallied") return;
  element("votes").replaceChildren(
    ...event.standings.map((standing) => {
      const item = document.createElement("li");
      item.textContent = `${standing.answer.text}: ${"●".repeat(standing.votes)}`;
      return item;
    }),
  );
}

async function ask(question: string, baseURL: string): Promise<RunResult> {
  const engine = new Engine({ provider: { kind: "openai", preset: "llamaCpp", baseURL, model: "local", maxN: 4 } });
  return engine.run(question, {
    strategy: { kind: "selfConsistency", samples: 4, sampling: { maxTokens: 128 } },
    budget: { maxTokens: 4_000, maxWallMs: 60_000 },
    onEvent: showVotes,
  });
}

element<HTMLFormElement>("ask").addEventListener("submit", async (event) => {
  event.preventDefault();
  element("status").textContent = "Thinking…";
  try {
    const result = await ask(element<HTMLInputElement>("question").value, element<HTMLInputElement>("base-url").value);
    element("answer").textContent = result.answer?.text ?? "no answer";
    element("status").textContent = `${result.branches.length} samples, ${result.spend.completionTokens} tokens, stopped: ${result.stop.kind}`;
  } catch (caught) {
    const error = caught as ThinkscaleError;
    element("status").textContent = `${error.code}: ${error.message}`;
  }
});
// The engine is ready (the package's top-level await loaded its wasm): let the user ask.
element<HTMLButtonElement>("run").disabled = false;
