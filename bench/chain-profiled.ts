/**
 * By hand: `node dist/bench/chain-profiled.js [on|off]`. Chains of 5,000 tiny tasks, eight in a
 * row on one client with the workers' profiler on or off, so the profiler's steady cost can be
 * told from the first runs' warm-up (which the tasks suite's chain-5k, one chain after one
 * warm-up, mostly measures). Prints each chain's milliseconds.
 */
import { Client, type Future } from "../src/index.js";

const on = process.argv[2] === "on";
const client = await Client.connect({
  workers: 2,
  setAsDefault: false,
  dashboard: false,
  profile: on,
});
try {
  const inc = (x: number) => x + 1;
  const chain = async (len: number): Promise<number> => {
    let f: Future<number> = client.submit(inc, 0);
    for (let i = 1; i < len; i++) f = client.submit(inc, f);
    return await f;
  };
  await chain(1000);
  const ms: string[] = [];
  for (let r = 0; r < 8; r++) {
    const t0 = performance.now();
    if ((await chain(5000)) !== 5000) throw new Error("wrong chain result");
    ms.push((performance.now() - t0).toFixed(0));
  }
  console.log(`profiler ${on ? "on " : "off"}: ${ms.join(" ")} ms`);
} finally {
  await client.close();
}
