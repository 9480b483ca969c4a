/**
 * The shell of graceful retirement (scheduler/retire.ts is the pure half): mark the workers
 * retiring, let the tasks already running there finish, copy every result only they hold to
 * other workers (get-data from the retiring worker, put-data on the taker, add-replicas to the
 * scheduler), then remove them as an expected departure and stop them. Nothing they held is
 * lost, so nothing is recomputed. The data passes through the scheduler's process (the pool's
 * get-data/put-data), which is simple and bounded by the results at risk, not by all results.
 */
import { BarnError, ErrorCodes } from "../errors.js";
import type { WorkerId } from "../protocol/ids.js";
import type { SchedulerServer } from "../scheduler/server.js";
import type { ReplicaMove } from "../scheduler/state.js";
import type { WorkerPool } from "./worker-pool.js";

export interface RetireOptions {
  /** Give up waiting for running tasks and copies after this long, ms. Default 60 s. */
  readonly timeoutMs?: number | undefined;
}

/** Copy rounds before giving up: new results can land on a retiring worker from tasks it ran. */
const MAX_ROUNDS = 20;

/** Retire `ids` (unknown ids are skipped); resolves with the ids retired. */
export async function retireWorkers(
  server: SchedulerServer,
  pool: WorkerPool,
  ids: readonly WorkerId[],
  options: RetireOptions = {},
): Promise<WorkerId[]> {
  server.flush();
  const known = new Set(server.state.workers().map((w) => w.id));
  const retiring = ids.filter((id) => known.has(id));
  if (retiring.length === 0) return [];
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  server.enqueue({
    type: "retire-workers",
    stimulusId: server.stimulus("retire-workers"),
    workers: retiring,
  });
  server.flush();
  await drained(server, retiring, deadline);
  for (let round = 0; ; round++) {
    server.flush();
    const plan = server.state.replicationPlan();
    if (plan.length === 0) break;
    if (round >= MAX_ROUNDS || Date.now() > deadline) {
      throw new BarnError(
        ErrorCodes.TIMEOUT,
        `retiring ${retiring.join(", ")}: ${plan.length} result(s) still held only there (first: ${plan[0]!.key}) after ${round} copy rounds; the workers were left running`,
      );
    }
    await copyAll(server, pool, plan);
  }
  for (const id of retiring) {
    server.removeWorker(id, true, "retired");
    await pool.retire?.(id);
  }
  server.flush();
  return retiring;
}

/** Wait until no task processes on the retiring workers (none is placed there any more). */
async function drained(server: SchedulerServer, ids: readonly WorkerId[], deadline: number) {
  for (;;) {
    server.flush();
    const busy = ids.filter((id) => server.state.processingOn(id) > 0);
    if (busy.length === 0) return;
    if (Date.now() > deadline) {
      throw new BarnError(
        ErrorCodes.TIMEOUT,
        `retiring ${busy.join(", ")}: tasks still running there at the deadline; the workers were left running`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One batch per (from, to) pair, all pairs at once. */
async function copyAll(server: SchedulerServer, pool: WorkerPool, plan: readonly ReplicaMove[]) {
  const pairs = new Map<string, ReplicaMove[]>();
  for (const m of plan) {
    const k = `${m.from}\u0000${m.to}`;
    let l = pairs.get(k);
    if (l === undefined) pairs.set(k, (l = []));
    l.push(m);
  }
  await Promise.all(
    [...pairs.values()].map(async (moves) => {
      const { from, to } = moves[0]!;
      const got = await pool.getData(
        from,
        moves.map((m) => m.key),
      );
      const gone = new Set(got.missing);
      const keys = moves.filter((m) => !gone.has(m.key)).map((m) => m.key);
      if (keys.length === 0) return;
      const nbytes = await pool.putData(to, keys, got.values);
      server.enqueue({
        type: "add-replicas",
        stimulusId: server.stimulus("add-replicas"),
        worker: to,
        keys: keys.map((key, i) => ({ key, nbytes: nbytes[i] ?? 0 })),
      });
    }),
  );
}
