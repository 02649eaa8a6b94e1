// Shared by the package tests: installs the packed tarball (scripts/build-npm →
// target/npm/thinkscale-<version>.tgz) into a fresh temporary project, the way a user would.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** The packed tarball; fails with what to run when it is missing. */
export function tarball() {
  const dir = join(repoRoot, "target", "npm");
  let files = [];
  try { files = readdirSync(dir).filter((f) => /^thinkscale-.*\.tgz$/.test(f)); } catch {}
  if (files.length !== 1) throw new Error(`expected one thinkscale-*.tgz in ${dir}: run scripts/build-npm`);
  return join(dir, files[0]);
}

/**
 * A temporary project with the tarball installed (plus `extra` npm packages). With `template`,
 * the project starts as a copy of that directory (an example). Resolves to its path.
 */
export function installInto({ template, extra = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "thinkscale-npm-"));
  if (template) cpSync(template, dir, { recursive: true, filter: (src) => !src.includes("node_modules") });
  else writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", tarball(), ...extra], {
    cwd: dir, stdio: ["ignore", "inherit", "inherit"],
  });
  return dir;
}

/** The base URL of the real model server the test script started (llama.cpp, OpenAI API). */
export function modelServer() {
  const url = process.env.THINKSCALE_MODEL_URL;
  if (!url) throw new Error("set THINKSCALE_MODEL_URL to a llama.cpp server (scripts/test starts one)");
  return url.replace(/\/$/, "") + "/v1";
}
