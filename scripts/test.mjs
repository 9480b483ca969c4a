// Runs node's test runner over every compiled test file. Node 20 has no glob support in
// `node --test`, and Node 22+ treats arguments as globs, so the files are listed explicitly.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function collect(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
let files = collect("dist/test", []);
if (filter.length > 0) files = files.filter((f) => filter.some((s) => f.includes(s)));
const res = spawnSync(
  process.execPath,
  ["--test", "--test-concurrency=1", "--test-reporter=spec", ...files],
  { stdio: "inherit" },
);
process.exit(res.status ?? 1);
