/**
 * Build of the Writ governance console: `vite build --config console/vite.config.ts` writes
 * static files to `console/dist` (relative asset URLs: `writ serve` serves them under
 * `/console/`), plus `proof-viewer.html`, the offline proof viewer as one self-contained file
 * (script and styles inline, bundled by esbuild) that works opened from disk.
 *
 * Repository sources are marked free of side effects so that only what the console uses of
 * `writ/compiler` (the IR printer, the bundle diff) is bundled — not the parser.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build as esbuild } from "esbuild";
import { defineConfig, type Plugin } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));
const repo = fileURLToPath(new URL("..", import.meta.url));
const outDir = fileURLToPath(new URL("./dist", import.meta.url));

/** Inline text into a <script> or <style> element without closing it early. */
function inline(text: string, tag: "script" | "style"): string {
  return text.replace(new RegExp(`</${tag}`, "gi"), `<\\/${tag}`);
}

/** Writes `dist/proof-viewer.html` after the main build. */
function offlineViewer(): Plugin {
  return {
    name: "writ-offline-proof-viewer",
    apply: "build",
    async closeBundle() {
      const r = await esbuild({
        entryPoints: [fileURLToPath(new URL("./src/offline.ts", import.meta.url))],
        bundle: true,
        format: "iife",
        minify: true,
        write: false,
        outdir: "offline",
        target: "es2022",
        legalComments: "none",
        logLevel: "warning",
        plugins: [
          {
            // Repository modules have no side effects: only what the viewer uses is bundled (not the parser).
            name: "writ-pure-sources",
            setup(b) {
              b.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
                const ts = resolve(args.resolveDir, args.path).replace(/\.js$/, ".ts");
                return existsSync(ts) && ts.startsWith(repo) ? { path: ts, sideEffects: false } : undefined;
              });
            },
          },
        ],
      });
      const js = r.outputFiles.find((f) => f.path.endsWith(".js"))?.text ?? "";
      const css = r.outputFiles.find((f) => f.path.endsWith(".css"))?.text ?? "";
      const page = readFileSync(fileURLToPath(new URL("./offline.html", import.meta.url)), "utf8")
        .replace("</head>", `<style>${inline(css, "style")}</style>\n  </head>`)
        .replace("</body>", `<script>${inline(js, "script")}</script>\n  </body>`);
      writeFileSync(`${outDir}/proof-viewer.html`, page);
    },
  };
}

export default defineConfig({
  root,
  base: "./",
  logLevel: "warn",
  plugins: [offlineViewer()],
  build: {
    outDir,
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 2048,
    reportCompressedSize: false,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: fileURLToPath(new URL("./index.html", import.meta.url)),
      treeshake: { moduleSideEffects: (id: string) => !id.startsWith(repo) || id.endsWith(".css") || id.includes("/node_modules/") },
    },
  },
  server: { fs: { allow: [repo] } },
});
