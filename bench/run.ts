/** `npm run bench -- <suite> [--json] [--repeat N] [--case NAME ...] [--dashboard | --dashboard-compare]` */
import { closeBrowser, dashboardMode } from "./dashboard-watch.js";
import { type Comparison, runSuite, type Suite } from "./harness.js";
import { arraySuite } from "./suites/array.js";
import { bagSuite } from "./suites/bag.js";
import { clusterSuite } from "./suites/cluster.js";
import { frameSuite } from "./suites/frame.js";
import { memorySuite } from "./suites/memory.js";
import { tasksSuite } from "./suites/tasks.js";

const suites: Record<string, Suite> = {
  tasks: tasksSuite,
  cluster: clusterSuite,
  frame: frameSuite,
  bag: bagSuite,
  array: arraySuite,
  memory: memorySuite,
};

const argv = process.argv.slice(2);
const json = argv.includes("--json");
// The tasks suite's clients serve their dashboard, watched by headless chromium; or, compared,
// every repeat runs both ways.
dashboardMode.on = argv.includes("--dashboard");
const compare: Comparison | undefined = argv.includes("--dashboard-compare")
  ? { name: "dashboard", set: (on) => (dashboardMode.on = on) }
  : undefined;
const repeatAt = argv.indexOf("--repeat");
// A comparison reads a few percent through this machine's noise: a 0.2 s case's pair of runs
// differs by up to 30% either way, so its median needs more repeats than a suite's figures.
const repeat = repeatAt >= 0 ? Number(argv[repeatAt + 1]) : compare !== undefined ? 15 : 3;
const only: string[] = [];
argv.forEach((a, i) => {
  if (a === "--case" && argv[i + 1]) only.push(argv[i + 1]!);
});
const names = argv.filter(
  (a, i) => !a.startsWith("--") && argv[i - 1] !== "--repeat" && argv[i - 1] !== "--case",
);
if (names.length === 0 || names.some((n) => !(n in suites))) {
  console.error(
    `usage: npm run bench -- <${Object.keys(suites).join("|")}> [--json] [--repeat N] [--case NAME] [--dashboard | --dashboard-compare]`,
  );
  process.exit(2);
}
for (const n of names) await runSuite(suites[n]!, { json, repeat, only, compare });
await closeBrowser();
process.exit(0);
