/**
 * Stuck workers: a task freed while it was processing (cancelled, or released by every client)
 * may go on running, since JavaScript cannot interrupt a synchronous loop from inside. The
 * worker confirms each freed key once it no longer runs (task-stopped); a key not confirmed
 * within config cancelGracePeriod gets its worker restarted: the worker leaves the state at
 * once (its other tasks are rescheduled, counting no death, and nothing more is sent to it)
 * and the shell restarts its thread or process, which registers again as a new worker.
 */
import type { SchedulerCore } from "./core.js";
import type { CheckStopping, TaskStopped } from "./protocol.js";
import { removeWorker } from "./worker-events.js";

export function taskStopped(s: SchedulerCore, ev: TaskStopped): void {
  const ws = s.workers.get(ev.worker);
  if (ws === undefined || ws.stopping.size === 0) return;
  for (const key of ev.keys) ws.stopping.delete(key);
}

/** Some worker has a freed task not confirmed stopped (the shell's timer asks first). */
export function wantsStopCheck(s: SchedulerCore): boolean {
  if (!Number.isFinite(s.config.cancelGracePeriod)) return false;
  for (const ws of s.workerList) if (ws.stopping.size > 0) return true;
  return false;
}

export function checkStopping(s: SchedulerCore, ev: CheckStopping): void {
  const grace = s.config.cancelGracePeriod;
  if (!Number.isFinite(grace)) return;
  const deadline = s.now - grace;
  // Decided first: removing a worker changes workerList.
  const stuck = s.workerList.filter((ws) => {
    for (const since of ws.stopping.values()) if (since <= deadline) return true;
    return false;
  });
  for (const ws of stuck) {
    const keys = [...ws.stopping].filter(([, since]) => since <= deadline).map(([k]) => k);
    const shown = keys.slice(0, 3).join(", ") + (keys.length > 3 ? ", ..." : "");
    const reason = `task ${shown} still running ${grace} s after it was cancelled (cancelGracePeriod); restarting the worker`;
    removeWorker(s, {
      type: "remove-worker",
      stimulusId: ev.stimulusId,
      worker: ws.id,
      expected: true,
      reason,
    });
    s.out.push({ type: "restart-worker", worker: ws.id, keys, reason, stimulusId: ev.stimulusId });
  }
}
