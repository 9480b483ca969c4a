/**
 * The fetch side: `ensureCommunicating` turns fetch tasks into gather-dep batches (per peer, in
 * priority order, bounded in keys, bytes and concurrent peers), and the gather-dep-success /
 * gather-dep-failure handlers move the keys on. Peer choice follows dask: every fetch task waits
 * on the heap of each of its holders; free peers are served in the order of their most urgent
 * task, and a key joins the batch of whichever free holder reaches it first, so keys sharing a
 * holder travel together.
 */
import type { WorkerId } from "../protocol/ids.js";
import type { GatherDepFailure, GatherDepSuccess } from "./protocol.js";
import { startCompute } from "./state-compute.js";
import { addFailed, type WorkerCore } from "./state-core.js";
import type { TaskHeap } from "./state-heap.js";
import { transition } from "./state-transitions.js";
import {
  before,
  FETCH,
  FLIGHT,
  MEMORY,
  MISSING,
  RELEASED,
  type WorkerTask,
} from "./worker-task.js";

/** Start gathers from free peers while fewer than transferConcurrency are in flight. */
export function ensureCommunicating(w: WorkerCore): void {
  if (w.stateCounts[FETCH] === 0 || w.paused) return;
  let slots = w.config.transferConcurrency - w.inFlight.size;
  if (slots <= 0) return;
  const tops: WorkerTask[] = [];
  const peers: WorkerId[] = [];
  for (const [peer, heap] of w.dataNeeded) {
    if (w.inFlight.has(peer) || w.badPeers.has(peer)) continue;
    const top = liveFetch(heap, peer);
    if (top === undefined) w.dataNeeded.delete(peer);
    else {
      tops.push(top);
      peers.push(peer);
    }
  }
  const order = peers.map((_, i) => i);
  order.sort((a, b) => (tops[a] === tops[b] ? 0 : before(tops[a]!, tops[b]!) ? -1 : 1));
  for (const i of order) {
    if (slots === 0) return;
    const peer = peers[i]!;
    const heap = w.dataNeeded.get(peer);
    if (heap === undefined) continue;
    const batch = takeBatch(w, heap, peer);
    if (heap.size === 0) w.dataNeeded.delete(peer);
    if (batch.length === 0) continue;
    slots--;
    w.inFlight.set(peer, batch);
    const keys = batch.map((ts) => ts.key);
    let nbytes = 0;
    for (const ts of batch) nbytes += ts.nbytes;
    w.out.push({ type: "gather-dep", peer, keys, nbytes, stimulusId: w.stim });
  }
}

/** Pop up to a batch of live fetch tasks from `peer`'s heap and put them in flight from it. */
function takeBatch(w: WorkerCore, heap: TaskHeap, peer: WorkerId): WorkerTask[] {
  const { transferBatchKeys, transferBatchBytes } = w.config;
  const batch: WorkerTask[] = [];
  let bytes = 0;
  while (batch.length < transferBatchKeys && bytes < transferBatchBytes) {
    const ts = liveFetch(heap, peer);
    if (ts === undefined) break;
    heap.pop();
    ts.peer = peer;
    transition(w, ts, FLIGHT);
    batch.push(ts);
    // Sizes come from the scheduler (compute-task deps); a size it did not know counts 0.
    bytes += ts.nbytes;
  }
  return batch;
}

/** The most urgent entry of `peer`'s heap that is still a fetch task listing `peer`. */
function liveFetch(heap: TaskHeap, peer: WorkerId): WorkerTask | undefined {
  let ts = heap.peek();
  while (ts !== undefined && (ts.s !== FETCH || !ts.holders.includes(peer))) {
    heap.pop();
    ts = heap.peek();
  }
  return ts;
}

export function gatherSuccess(w: WorkerCore, ev: GatherDepSuccess): void {
  const batch = w.inFlight.get(ev.peer);
  if (batch === undefined) return;
  w.inFlight.delete(ev.peer);
  for (const ts of batch) {
    const nbytes = Object.hasOwn(ev.nbytes, ts.key) ? ev.nbytes[ts.key] : undefined;
    if (ts.s !== FLIGHT || ts.peer !== ev.peer) {
      // Scattered here meanwhile (and maybe freed since): drop the copy unless the key is here.
      if (nbytes !== undefined && w.tasks.get(ts.key)?.s !== MEMORY) {
        w.out.push({ type: "release-data", key: ts.key, stimulusId: w.stim });
      }
    } else if (nbytes === undefined) {
      holderFailed(w, ts, ev.peer);
    } else {
      ts.nbytes = nbytes;
      transition(w, ts, MEMORY);
    }
  }
}

/** The peer is unreachable: fail its batch and stop asking it for anything else. */
export function gatherFailure(w: WorkerCore, ev: GatherDepFailure): void {
  const peer = ev.peer;
  w.badPeers.add(peer);
  const batch = w.inFlight.get(peer);
  if (batch !== undefined) {
    w.inFlight.delete(peer);
    for (const ts of batch) if (ts.s === FLIGHT && ts.peer === peer) holderFailed(w, ts, peer);
  }
  const heap = w.dataNeeded.get(peer);
  if (heap === undefined) return;
  w.dataNeeded.delete(peer);
  for (const ts of heap.items) {
    if (ts.s !== FETCH || !ts.holders.includes(peer)) continue;
    ts.holders = ts.holders.filter((h) => h !== peer);
    addFailed(ts, peer);
    if (ts.holders.length === 0) transition(w, ts, MISSING);
  }
}

/** `peer` did not deliver flight task `ts`: try the next holder, compute it, or give up. */
function holderFailed(w: WorkerCore, ts: WorkerTask, peer: WorkerId): void {
  ts.holders = ts.holders.filter((h) => h !== peer && !w.badPeers.has(h));
  addFailed(ts, peer);
  if (!ts.requested && ts.nDependents === 0) transition(w, ts, RELEASED);
  else if (ts.spec !== undefined) startCompute(w, ts, ts.spec);
  else transition(w, ts, ts.holders.length > 0 ? FETCH : MISSING);
}
