// A loopback OpenAI-compatible chat-completions server of the tests' own: it streams SSE answers
// (every choice of `n`, then usage, then [DONE]), answers CORS preflights so that a page on
// another origin can call it, and records every request it gets (method, path, Authorization and
// x-api-key headers, body) so that a test can say where a key went.
import { createServer } from "node:http";

/**
 * Starts a server on 127.0.0.1 (a random port). `pieces(choice, body)` says what one choice
 * streams (an array of strings, default "The answer is 4."); `delayMs` paces the pieces. Resolves
 * to { url, requests, maxStreams, close }: `url` without `/v1`; `requests` grows as they come;
 * `maxStreams` is the most answers streamed at once.
 */
export function fakeOpenAi({ pieces = () => ["The answer ", "is ", "4."], delayMs = 0 } = {}) {
  const requests = [];
  let streams = 0;
  const state = { maxStreams: 0 };
  const cors = (request) => ({
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "POST, GET, OPTIONS",
    "access-control-allow-headers": request.headers["access-control-request-headers"] ?? "authorization, content-type",
    "access-control-max-age": "0",
  });
  const server = createServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString("utf8");
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch { body = text; }
    requests.push({
      method: request.method, path: request.url, body,
      authorization: request.headers.authorization, apiKey: request.headers["x-api-key"],
    });
    if (request.method === "OPTIONS") { response.writeHead(204, cors(request)).end(); return; }
    if (request.method !== "POST" || !request.url.endsWith("/chat/completions")) {
      response.writeHead(404, cors(request)).end();
      return;
    }
    response.writeHead(200, { ...cors(request), "content-type": "text/event-stream", "cache-control": "no-cache" });
    streams += 1;
    state.maxStreams = Math.max(state.maxStreams, streams);
    let closed = false;
    response.on("close", () => { closed = true; });
    const send = (data) => new Promise((done) => {
      if (closed) { done(); return; }
      if (response.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`)) done();
      else response.once("drain", done);
    });
    const n = Math.max(1, Number(body?.n ?? 1));
    let completion = 0;
    try {
      for (let choice = 0; choice < n; choice++) {
        for (const piece of pieces(choice, body)) {
          if (closed) return;
          completion += 1;
          await send({ object: "chat.completion.chunk", choices: [{ index: choice, delta: { content: piece }, finish_reason: null }] });
          if (delayMs) await new Promise((done) => setTimeout(done, delayMs));
        }
        await send({ object: "chat.completion.chunk", choices: [{ index: choice, delta: {}, finish_reason: "stop" }] });
      }
      await send({ object: "chat.completion.chunk", choices: [], usage: { prompt_tokens: 12, completion_tokens: completion, total_tokens: 12 + completion } });
      await send("[DONE]");
    } finally {
      streams -= 1;
      response.end();
    }
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => {
    ok({
      url: `http://127.0.0.1:${server.address().port}`,
      requests,
      get maxStreams() { return state.maxStreams; },
      close: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }),
    });
  }));
}
