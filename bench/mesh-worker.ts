/**
 * One node process of `npm run bench:mesh`: opens the mesh log with its enrolled key and
 * runs the append load, then prints its result as JSON.
 * Usage: node dist/bench/mesh-worker.js <url> <schema> <node number> <seconds> <appenders>
 */
import { openMeshNode } from "../mesh/index.js";
import { appendLoad, benchSeed } from "./mesh-load.js";

const [url, schema, nodeText, seconds, appenders] = process.argv.slice(2) as [string, string, string, string, string];
const n = Number(nodeText);
const node = await openMeshNode({ url, schema, node: `node-${n}`, privateKey: benchSeed(n) });
if (!node.ok) {
  process.stderr.write(`worker ${n}: ${node.problem.message}\n`);
  process.exit(1);
}
const r = await appendLoad(node.node.log, Number(appenders), Number(seconds), (n + 1) * 100_000_000);
await node.node.close();
process.stdout.write(JSON.stringify(r));
