/**
 * Tasks no worker can run (Dask's "no-worker" state): their resources or worker restrictions
 * match no connected worker. They wait for one to join, and say so at once: a note in the
 * task's story and a `no-worker` instruction the shell logs as a warning. With
 * `noWorkerTimeout` on, one that waited that long errs with NO_VALID_WORKER, naming what it
 * asked for and what the workers offer; the shell's `tick` events bring the time.
 */
import { ErrorCodes, type ErrorData } from "../errors.js";
import type { SchedulerCore } from "./core.js";
import type { Tick } from "./protocol.js";
import type { TaskState } from "./task-state.js";

/** Most workers listed by name in a message (a cluster of 500 is summed up). */
const MAX_LISTED = 8;

/** `ts` enters no-worker now. */
export function enterNoWorker(s: SchedulerCore, ts: TaskState): void {
  ts.state = "no-worker";
  s.noWorker.set(ts, s.now);
  const why = `${needsAndOffers(s, ts)}; it waits for one to join`;
  s.note(ts, `no worker can run it: ${why}`);
  s.out.push({
    type: "no-worker",
    key: ts.key,
    message: `no worker can run task ${ts.key}: ${why}`,
    stimulusId: s.stimulusId,
  });
}

/** Time passed: tasks that waited `noWorkerTimeout` seconds or more in no-worker err. */
export function tick(s: SchedulerCore, _ev: Tick): void {
  const timeout = s.config.noWorkerTimeout;
  if (!(timeout > 0) || timeout === Infinity) return;
  for (const [ts, since] of s.noWorker) {
    const waited = s.now - since;
    if (waited < timeout) continue;
    ts.error = noValidWorker(s, ts, waited);
    s.transition(ts, "erred", null); // leaves the map: deleting while iterating is safe
  }
}

/** The NO_VALID_WORKER error of `ts`, which waited `waited` seconds. */
function noValidWorker(s: SchedulerCore, ts: TaskState, waited: number): ErrorData {
  return {
    name: "BarnError",
    code: ErrorCodes.NO_VALID_WORKER,
    message:
      `task ${ts.key} waited ${waited.toFixed(1)} s (noWorkerTimeout ${s.config.noWorkerTimeout} s) ` +
      `for a worker that can run it: ${needsAndOffers(s, ts)}. Start a worker with those ` +
      "resources (barn worker --resources NAME=AMOUNT) or name, or change the task's options.",
    key: ts.key,
  };
}

/** "it needs resources {GPU: 2} and workers [a]; the workers offer: w0 {GPU: 1}, w1 {}" */
function needsAndOffers(s: SchedulerCore, ts: TaskState): string {
  const p = ts.placement;
  const needs: string[] = [];
  if (p?.resources) needs.push(`resources ${fmt(p.resources)}`);
  if (p?.restrictions) needs.push(`a worker among [${p.restrictions.join(", ")}]`);
  const asked = needs.length > 0 ? `it needs ${needs.join(" and ")}` : "it needs any worker";
  const workers = s.workerList;
  if (workers.length === 0) return `${asked}; no worker is connected`;
  const listed = workers.slice(0, MAX_LISTED).map((ws) => `${ws.name} ${fmt(ws.resources)}`);
  if (workers.length > MAX_LISTED) listed.push(`and ${workers.length - MAX_LISTED} more`);
  return `${asked}; the workers offer: ${listed.join(", ")}`;
}

function fmt(r: Readonly<Record<string, number>>): string {
  return `{${Object.entries(r)
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ")}}`;
}
