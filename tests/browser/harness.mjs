// Shared by the browser tests and benchmarks: a static file server for web/ on loopback (with the
// right MIME types for wasm and modules) and Debian's Chromium driven by playwright-core.
import { createServer } from "node:http";
import { createReadStream, statSync } from "node:fs";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

export const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const require = createRequire(join(repoRoot, "web", "package.json"));
const { chromium } = require("playwright-core");

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript",
  ".wasm": "application/wasm", ".json": "application/json", ".gguf": "application/octet-stream",
  ".css": "text/css",
};

/** Serves `dir` on 127.0.0.1 (a random port); `/` is an empty page. Resolves to {url, close}. */
export function serve(dir) {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url, "http://x").pathname);
    if (path === "/") {
      response.writeHead(200, { "content-type": TYPES[".html"] });
      response.end("<!doctype html><title>thinkscale test</title>");
      return;
    }
    const file = normalize(join(dir, path));
    if (!file.startsWith(dir)) { response.writeHead(403).end(); return; }
    let size;
    try { size = statSync(file).size; } catch { response.writeHead(404).end(); return; }
    response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "content-length": size });
    createReadStream(file).pipe(response);
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => {
    ok({ url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((done) => server.close(done)) });
  }));
}

/** Headless Chromium with the flags this machine needs (no background networking). */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
}
