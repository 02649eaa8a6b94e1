// Shared by the view's browser tests: opening a page of the built demo under the harness's guard
// (uncaught errors, CSP violations and dialogs are recorded as problems), committing a form field,
// and waiting for a run to finish.
import { guard } from "../browser/harness.mjs";

/** A fresh page at `server.url + path`; resolves to { page, problems } once `ready` is there. */
export async function openPage(browser, server, path = "/index.html", { ready = "button.think", viewport } = {}) {
  const page = await browser.newPage({ viewport: viewport ?? { width: 1200, height: 1000 } });
  const problems = await guard(page);
  await page.goto(server.url + path);
  if (ready) await page.waitForSelector(ready);
  return { page, problems };
}

/** Types `value` into `selector` and commits it (the settings update on change). */
export async function set(page, selector, value) {
  await page.fill(selector, value);
  await page.dispatchEvent(selector, "change");
}

/**
 * Resolves when the status line says the run (or replay) is done and the tree shows every branch
 * (it reveals a few rows per frame, and says `aria-busy` until they are all there).
 */
export const finished = (page, timeout = 240_000) =>
  page.waitForFunction(
    () =>
      document.querySelector(".status-line")?.textContent.startsWith("Done") &&
      !document.querySelector("ol.tree[aria-busy=true]"),
    null,
    { timeout },
  );
