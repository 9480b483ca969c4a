/**
 * Work stealing on the worker: the scheduler asks to take back tasks it assigned here. A task
 * not started yet (waiting for inputs, whose inputs may be in flight, or ready in either
 * queue) is dropped as if freed, and its inputs are released when nothing else here needs
 * them; a running, finished or failed task stays. One that a local task waits for (its input,
 * computed here: speculative assignment) also stays, since that dependent counts on it here.
 */
import type { WStealRequest } from "./protocol.js";
import type { WorkerCore } from "./state-core.js";
import { maybeForget } from "./state-transitions.js";
import { READY, STATE_NAMES, WAITING } from "./worker-task.js";

export function stealRequest(w: WorkerCore, ev: WStealRequest): void {
  for (const key of ev.keys) {
    const ts = w.tasks.get(key);
    if (ts === undefined) {
      answer(w, key, "released", false);
      continue;
    }
    const state = STATE_NAMES[ts.s]!;
    const stealable = (ts.s === WAITING || ts.s === READY) && ts.requested && ts.nDependents === 0;
    if (stealable) {
      ts.requested = false;
      maybeForget(w, ts);
    }
    answer(w, key, state, stealable);
  }
}

function answer(w: WorkerCore, key: string, state: (typeof STATE_NAMES)[number], stolen: boolean) {
  w.out.push({ type: "send-steal-response", key, state, stolen, stimulusId: w.stim });
}
