/**
 * Entry point of a worker thread: wires the worker shell to the parent port. Started by the
 * local cluster from the built JavaScript (Node 20 cannot load .ts in worker threads).
 */
import { parentPort, workerData } from "node:worker_threads";
import type { FromWorker, ToWorker, WorkerInit } from "../protocol/worker-messages.js";
import { WorkerShell } from "./shell.js";

if (parentPort === null) throw new Error("barn: thread-main.js must run in a worker thread");
const port = parentPort;
const shell = new WorkerShell(workerData as WorkerInit, port);
port.on("message", (msg: ToWorker) => {
  shell.onSchedulerMessage(msg);
  if (shell.closed) port.close();
});
// Still fatal (the thread dies and is replaced), but with a reason the parent can log.
process.on("uncaughtException", (err) => {
  throw copyableError(err);
});

/**
 * The thread's death reaches the parent as a copy of the error; a DOMException (such as the
 * DataCloneError of a postMessage) arrives as an empty object, losing why. A plain Error keeps it.
 */
function copyableError(err: unknown): unknown {
  if (!(err instanceof DOMException)) return err;
  const plain = new Error(`${err.name}: ${err.message}`);
  if (err.stack !== undefined) plain.stack = err.stack;
  return plain;
}
port.postMessage({ t: "ready" } satisfies FromWorker);
