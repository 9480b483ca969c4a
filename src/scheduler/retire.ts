/**
 * Graceful retirement (after dask.distributed's `retire_workers`): a retiring worker gets no
 * new task, and every result only it holds is copied to another worker before it is removed,
 * so removing it loses nothing and recomputes nothing. The shell moves the data (it asks the
 * plan, copies, then reports the copies with add-replicas) and removes the worker with
 * `expected: true` once the plan is empty.
 */
import type { Key } from "../graph/spec.js";
import type { SchedulerCore } from "./core.js";
import type { AddReplicas, RetireWorkers, WorkerId } from "./protocol.js";
import { addHolder, type WorkerState } from "./worker-state.js";

/** One copy to make: `key`, held only by the retiring `from`, goes to `to`. */
export interface ReplicaMove {
  readonly key: Key;
  readonly from: WorkerId;
  readonly to: WorkerId;
  readonly nbytes: number;
}

export function retireWorkers(s: SchedulerCore, ev: RetireWorkers): void {
  for (const id of ev.workers) {
    const ws = s.workers.get(id);
    if (ws === undefined || ws.retiring) continue;
    ws.retiring = true;
    for (const ts of ws.held) s.note(ts, `holder ${id} retiring`);
  }
  // Queued root tasks may have counted on the retiring workers' slots.
  s.markQueueDirty();
}

/**
 * The copies made are known: `ev.worker` now holds these keys too. A key that left memory
 * meanwhile (released, or recomputed elsewhere) is dropped there again.
 */
export function addReplicas(s: SchedulerCore, ev: AddReplicas): void {
  const ws = s.workers.get(ev.worker);
  if (ws === undefined) return;
  for (const { key } of ev.keys) {
    const ts = s.tasks.get(key);
    if (ts === undefined || ts.state !== "memory") {
      s.freeKey(ws, key);
      continue;
    }
    if (ts.whoHas.includes(ws)) continue;
    addHolder(ts, ws);
    s.note(ts, `replica on ${ws.id} (retirement)`);
  }
}

/**
 * The copies still to make before `ids` can leave: every result whose holders are all
 * retiring, each to the live, non-retiring worker holding the fewest bytes so far (bytes
 * counted as the plan assigns them, so a large batch spreads). Empty when nothing is at risk,
 * or when no worker remains to take the data (then retiring loses it, as closing would).
 */
export function replicationPlan(s: SchedulerCore): ReplicaMove[] {
  const takers = s.workerList.filter((ws) => !ws.retiring);
  if (takers.length === 0) return [];
  const load = new Map<WorkerState, number>(takers.map((ws) => [ws, ws.nbytes]));
  const moves: ReplicaMove[] = [];
  for (const ws of s.workerList) {
    if (!ws.retiring) continue;
    for (const ts of [...ws.held, ...ws.replicas]) {
      if (ts.state !== "memory" || ts.whoHas.some((h) => !h.retiring)) continue;
      if (ts.whoHas[0] !== ws) continue; // one move per key, from its primary holder
      let to = takers[0]!;
      for (const t of takers) if (load.get(t)! < load.get(to)!) to = t;
      load.set(to, load.get(to)! + ts.nbytes);
      moves.push({ key: ts.key, from: ws.id, to: to.id, nbytes: ts.nbytes });
    }
  }
  return moves;
}

/** Tasks still processing on a retiring worker (it leaves once they are done). */
export function processingOn(s: SchedulerCore, id: WorkerId): number {
  return s.workers.get(id)?.processing.length ?? 0;
}
