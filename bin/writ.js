#!/usr/bin/env node
import("../dist/cli-bundle/writ.js").then((m) => m.main(process.argv)).catch((err) => {
  process.stderr.write(`writ: cannot start (${err && err.message ? err.message : err}); run \`npm install\` (or \`npm run build\`) to build\n`);
  process.exit(2);
});
