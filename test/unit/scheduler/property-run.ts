/**
 * The property test's scenario (property.test.ts). Random DAGs on a random, changing cluster, with messages delivered late and in random
 * batches, workers dying mid-run and clients releasing and re-acquiring keys: at the end every
 * key the client still wants is in memory with the right value (or erred, when a task really
 * failed or killed its workers), validate() never throws (it runs after every handle), and once
 * everything is released the scheduler and every worker are empty.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { TaskSubmission } from "../../../src/scheduler/protocol.js";
import { SchedulerState } from "../../../src/scheduler/state.js";
import { resultOf, SimCluster, type SimTask } from "./sim-cluster.js";

const NAMES = ["w0", "w1", "w2"];

export const specArb = fc.record({
  tasks: fc.array(
    fc.record({
      deps: fc.uniqueArray(fc.nat(40), { maxLength: 4 }),
      failTimes: fc.oneof(
        { weight: 6, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }) },
      ),
      retries: fc.integer({ min: 0, max: 2 }),
      restrict: fc.oneof(
        { weight: 6, arbitrary: fc.constant(-1) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 }) },
      ),
      priority: fc.integer({ min: -1, max: 1 }),
      wanted: fc.boolean(),
    }),
    { minLength: 1, maxLength: 30, size: "medium" },
  ),
  split: fc.nat(30),
  workers: fc.array(
    fc.record({ name: fc.integer({ min: 0, max: 2 }), nthreads: fc.integer({ min: 1, max: 2 }) }),
    {
      minLength: 1,
      maxLength: 4,
    },
  ),
  allowedFailures: fc.integer({ min: 0, max: 2 }),
  saturation: fc.constantFrom(1, 1.1, 2),
  targetQueueSeconds: fc.constantFrom(0, 0.005),
  durationScale: fc.constantFrom(1, 10, 100),
  workStealing: fc.constantFrom(true, true, false),
  actions: fc.array(fc.nat(10_000), { minLength: 20, maxLength: 400, size: "large" }),
});

export type Spec = typeof specArb extends fc.Arbitrary<infer T> ? T : never;

function build(spec: Spec): { sims: SimTask[]; subs: TaskSubmission[]; wanted: string[] } {
  const sims: SimTask[] = [];
  const subs: TaskSubmission[] = [];
  const wanted: string[] = [];
  spec.tasks.forEach((t, i) => {
    const key = `t${i}`;
    const deps = i === 0 ? [] : [...new Set(t.deps.map((d) => `t${d % i}`))];
    sims.push({ key, deps, failTimes: t.failTimes });
    subs.push({
      key,
      deps,
      run: { i },
      retries: t.retries,
      priority: t.priority,
      order: i,
      group: `g${i % 3}`,
      ...(t.restrict >= 0 ? { workers: [NAMES[t.restrict]!] } : {}),
    });
    if (t.wanted || i === spec.tasks.length - 1) wanted.push(key);
  });
  return { sims, subs, wanted };
}

/** The values the keys must have, computed directly. */
function oracle(sims: readonly SimTask[]): Map<string, number> {
  const v = new Map<string, number>();
  for (const t of sims)
    v.set(
      t.key,
      resultOf(
        t.key,
        t.deps.map((d) => v.get(d)!),
      ),
    );
  return v;
}

/** Some task among `key` and its ancestors can fail. */
function mayFail(sims: Map<string, SimTask>, key: string): boolean {
  const t = sims.get(key)!;
  return t.failTimes > 0 || t.deps.some((d) => mayFail(sims, d));
}

/** Runs the scenario; returns how many tasks were stolen. */
export function run(spec: Spec): number {
  const { sims, subs, wanted: allWanted } = build(spec);
  const s = new SchedulerState({
    config: {
      validate: true,
      allowedFailures: spec.allowedFailures,
      workerSaturation: spec.saturation,
      targetQueueSeconds: spec.targetQueueSeconds,
      workStealing: spec.workStealing,
      transitionLogLength: 1000,
    },
  });
  const sim = new SimCluster(s, sims);
  sim.durationScale = spec.durationScale;
  for (const w of spec.workers) sim.addWorker(NAMES[w.name]!, w.nthreads);
  const split = Math.min(spec.split, subs.length);
  const part1 = subs.slice(0, split);
  const wanted = new Set(allWanted.filter((k) => part1.some((t) => t.key === k)));
  const released = new Set<string>();
  let kills = 0;
  sim.handle([
    { type: "update-graph", stimulusId: "g1", client: "c", tasks: part1, wanted: [...wanted] },
  ]);
  let submitted2 = false;
  for (const a of spec.actions) {
    const op = a % 20;
    const arg = Math.floor(a / 20);
    const alive = sim.alive();
    const w = alive[arg % Math.max(1, alive.length)];
    if (op <= 4 && w) sim.deliver(w);
    else if (op <= 9 && w) sim.execute(w, arg, arg % 3 === 0);
    else if (op <= 13) sim.flush(1 + (arg % 4));
    else if (op === 14 && w) {
      kills++;
      sim.kill(w, arg % 3 === 0, arg % 2 === 0);
    } else if (op === 15) sim.addWorker(NAMES[arg % 3]!, 1 + (arg % 2));
    else if (op === 16 && !submitted2) {
      // the rest of the graph, resubmitting the first part (known keys are not recreated)
      submitted2 = true;
      const w2 = allWanted.filter((k) => !wanted.has(k) && !released.has(k));
      for (const k of w2) wanted.add(k);
      sim.handle([
        { type: "update-graph", stimulusId: "g2", client: "c", tasks: subs, wanted: w2 },
      ]);
    } else if (op === 17 && wanted.size > 1) {
      const key = [...wanted][arg % wanted.size]!;
      wanted.delete(key);
      released.add(key);
      sim.handle([
        { type: "client-releases-keys", stimulusId: sim.stim("rel"), client: "c", keys: [key] },
      ]);
    } else if (op === 19) {
      sim.handle([{ type: "balance", stimulusId: sim.stim("balance") }]);
    } else if (op === 18 && released.size > 0) {
      const key = [...released][arg % released.size]!;
      released.delete(key);
      if (s.taskState(key) === "forgotten") sim.expectCancel.add(key);
      else wanted.add(key);
      sim.handle([
        { type: "client-desires-keys", stimulusId: sim.stim("des"), client: "c", keys: [key] },
      ]);
    }
  }
  // Drain: no more deaths; every restriction can be met; everything settles.
  for (const name of NAMES) if (!sim.alive().some((x) => x.name === name)) sim.addWorker(name, 1);
  assert.ok(sim.settle(), "the cluster never settles");
  assert.deepEqual(sim.unexpectedCancels, []);
  assert.deepEqual([...sim.expectCancel], [], "desired unknown keys are answered key-cancelled");

  const expect = oracle(sims);
  const simTasks = new Map(sims.map((t) => [t.key, t]));
  for (const key of wanted) {
    const st = s.taskState(key);
    const rep = sim.reports.get(key);
    if (st === "memory") {
      assert.equal(rep?.kind, "memory", `${key}: in memory but the client was not told`);
      const holders = s.whoHas([key])[key]!;
      assert.ok(holders.length > 0);
      for (const h of holders) {
        const hw = sim.workers.get(h)!;
        assert.ok(hw.alive, `${key} held by dead ${h}`);
        assert.equal(hw.store.get(key), expect.get(key), `${key} on ${h} has the wrong value`);
      }
    } else {
      assert.equal(st, "erred", `${key} is ${st}, wanted`);
      assert.equal(rep?.kind, "erred", `${key}: erred but the client was not told`);
      const justified =
        (rep?.code === "BARN_TASK_FAILED" && mayFail(simTasks, key)) ||
        (rep?.code === "BARN_KILLED_WORKER" && kills > 0);
      assert.ok(justified, `${key} erred with ${rep?.code} without a reason`);
    }
  }
  // Release everything: nothing is left, in the scheduler or on any worker.
  const all = [...wanted, ...released];
  sim.handle([{ type: "client-releases-keys", stimulusId: "bye", client: "c", keys: all }]);
  assert.ok(sim.settle());
  assert.equal(s.size, 0, `left: ${JSON.stringify(s.counts())}`);
  for (const w of sim.alive()) {
    assert.deepEqual([...w.store.keys()], [], `${w.id} still holds data`);
  }
  assert.equal(s.stealsInFlight, 0, "a steal is still in flight once everything settled");
  return sim.stolen;
}
