// Shared by the browser tests and benchmarks: a static file server on loopback (with the right MIME
// types for wasm and modules, and every response under the Content-Security-Policy the shipped
// pages must run under), Debian's Chromium driven by playwright-core, and a guard that records
// what must never happen on a page (uncaught errors, CSP violations, dialogs).
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

/**
 * The policy every page is served under: scripts only from the page's own origin (no inline
 * scripts, no inline import maps, no eval) and WebAssembly compilation.
 */
export const CSP = "script-src 'self' 'wasm-unsafe-eval'";

/**
 * Serves `dir` on 127.0.0.1 (a random port); `/` is an empty page. `routes` maps a path to a
 * `(request, response) => void` handler for what a test serves itself (slow or odd responses).
 * Every response carries the {@link CSP} header. Resolves to {url, close}.
 */
export function serve(dir, { routes = {} } = {}) {
  const server = createServer((request, response) => {
    response.setHeader("content-security-policy", CSP);
    const path = decodeURIComponent(new URL(request.url, "http://x").pathname);
    if (Object.hasOwn(routes, path)) { routes[path](request, response); return; }
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
    ok({
      url: `http://127.0.0.1:${server.address().port}`,
      close: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }),
    });
  }));
}

/**
 * Records on `problems` what must never happen on `page`: an uncaught error, a
 * Content-Security-Policy violation (the page's `securitypolicyviolation` events, shadow roots
 * included, and Chromium's console reports, Workers included) and a dialog (dismissed). Call it
 * before the page navigates. Returns `problems`.
 */
export async function guard(page, problems = []) {
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("dialog", (dialog) => { problems.push(`dialog: ${dialog.message()}`); dialog.dismiss(); });
  const policy = (where) => (message) => {
    if (/Content.Security.Policy|CSP violation/i.test(message.text())) problems.push(`${where}: ${message.text()}`);
  };
  page.on("console", (message) => { if (!message.worker?.()) policy("console")(message); });
  page.on("worker", (worker) => worker.on("console", policy("worker console")));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"} in ${event.sourceFile}:${event.lineNumber}`);
    }, true);
  });
  return problems;
}

/** Headless Chromium with the flags this machine needs (no background networking). */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
}
