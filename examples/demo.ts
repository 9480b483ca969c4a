/**
 * `npm run demo`: Barn scales one plain function over every core of this machine, then runs the
 * same code inline on the sync scheduler, and a small delayed graph, and says what it did.
 */
import { availableParallelism } from "node:os";
import { Client, delayed } from "../src/index.js";

/** CPU-bound work with no free variables: ships to worker threads as source. */
function countPrimes(lo: number, hi: number): number {
  let count = 0;
  for (let n = Math.max(lo, 2); n < hi; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

const LIMIT = 6_000_000;
const CHUNKS = 48;
const los = Array.from({ length: CHUNKS }, (_, i) => Math.floor((i * LIMIT) / CHUNKS));
const his = Array.from({ length: CHUNKS }, (_, i) => Math.floor(((i + 1) * LIMIT) / CHUNKS));

async function run(scheduler: "sync" | "threads") {
  const client = await Client.connect({ scheduler, setAsDefault: false });
  const t0 = performance.now();
  const counts = await client.gather(client.map(countPrimes, los, his));
  const seconds = (performance.now() - t0) / 1000;
  const workers = client.workers().length;
  await client.close();
  return { total: counts.reduce((a, b) => a + b, 0), seconds, workers };
}

const cores = availableParallelism();
console.log(`Barn demo: counting primes below ${LIMIT.toLocaleString()} in ${CHUNKS} tasks`);
const inline = await run("sync");
console.log(
  `  sync scheduler (inline, 1 thread): ${inline.total} primes in ${inline.seconds.toFixed(2)} s`,
);
const local = await run("threads");
console.log(
  `  local cluster (${local.workers} worker threads on ${cores} cores): ${local.total} primes in ${local.seconds.toFixed(2)} s`,
);
console.log(
  `  speed-up ${(inline.seconds / local.seconds).toFixed(2)}x; same answer: ${inline.total === local.total}`,
);

// A lazy graph: nothing runs until compute(); independent branches run in parallel.
const client = await Client.connect();
const add = delayed((a: number, b: number) => a + b);
const primes = delayed(countPrimes);
const total = add(primes(0, 1_000_000), primes(1_000_000, 2_000_000));
console.log(
  `  delayed graph of ${total.graph().size} tasks -> ${await total.compute()} primes below 2,000,000`,
);
await client.close();
