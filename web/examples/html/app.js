// The plain HTML example's script: self-consistency with the in-page model, each sample streaming
// into the list as text.
//
// The package installed next to this page (npm install thinkscale), imported by path. From a CDN,
// import e.g. "https://cdn.jsdelivr.net/npm/thinkscale/index.js" instead (and allow that origin in
// the page's script-src).
import { Engine } from "./node_modules/thinkscale/index.js";

const $ = (id) => document.getElementById(id);
const model = new URLSearchParams(location.search).get("model") ?? "./models/smollm2-135m.gguf";
const engine = new Engine({
  provider: {
    kind: "builtin", model,
    onProgress: ({ loaded, total }) => { $("status").textContent = `Loading the model: ${Math.round(100 * loaded / (total || loaded))}%`; },
  },
});
let controller;

$("ask").addEventListener("submit", async (event) => {
  event.preventDefault();
  controller = new AbortController();
  $("run").disabled = true; $("stop").disabled = false;
  $("samples").replaceChildren(); $("answer").textContent = "";
  const items = new Map();
  try {
    const result = await engine.run($("question").value, {
      strategy: { kind: "selfConsistency", samples: 5, sampling: { maxTokens: 96 } },
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === "branchStarted") {
          const li = document.createElement("li");
          items.set(e.id, li); $("samples").append(li);
          $("status").textContent = "Thinking…";
        } else if (e.type === "tokenDelta") {
          items.get(e.id).textContent += e.text;      // model output is text, never HTML
        } else if (e.type === "branchFinished") {
          items.get(e.id).textContent += `  → ${e.answer?.text ?? "no answer"}`;
        }
      },
    });
    $("answer").textContent = result.answer?.text ?? "no answer";
    $("answer").dataset.votes = JSON.stringify(result.votes.map((v) => [v.answer.key, v.votes]));
    $("status").textContent = `Done: ${result.votes.map((v) => `${v.answer.text} ×${v.votes}`).join(", ")} (${result.spend.completionTokens} tokens, ${result.spend.elapsedMs} ms)`;
  } catch (error) {
    $("status").textContent = error.name === "AbortError" ? "Stopped." : `${error.name}: ${error.message}`;
  } finally {
    $("run").disabled = false; $("stop").disabled = true;
  }
});
$("stop").addEventListener("click", () => controller?.abort());
// The engine is ready (the module's top-level await loaded its wasm): let the user ask.
$("run").disabled = false;
$("status").textContent = "Ready.";
