import { defineConfig } from "vite";

export default defineConfig({
  // thinkscale loads its wasm (and the built-in model's Worker) relative to its own files:
  // Vite's dependency pre-bundling would move them, so it is left out.
  optimizeDeps: { exclude: ["thinkscale"] },
  build: { target: "es2022" },
});
