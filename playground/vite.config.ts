/**
 * Build of the Writ playground: `vite build --config playground/vite.config.ts`
 * writes static files to `playground/dist` (relative asset URLs, so any static
 * server or sub-path works). The worker imports the public entries of lang,
 * compiler and stdlib from the repository's sources.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));
const repo = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig({
  root,
  base: "./",
  logLevel: "warn",
  build: {
    outDir: fileURLToPath(new URL("./dist", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 4096,
    reportCompressedSize: false,
  },
  worker: { format: "es" },
  server: { fs: { allow: [repo] } },
});
