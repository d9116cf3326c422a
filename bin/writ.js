#!/usr/bin/env node
import("../dist/cli/main.js").then((m) => m.main(process.argv)).catch((err) => {
  process.stderr.write(`writ: cannot start (${err && err.message ? err.message : err}); run \`npm install\` to build\n`);
  process.exit(2);
});
