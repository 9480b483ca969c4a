/**
 * Entry point of a worker thread: wires the worker shell to the parent port. Started by the
 * local cluster from the built JavaScript (Node 20 cannot load .ts in worker threads).
 */
import { parentPort, workerData } from "node:worker_threads";
import { WorkerShell } from "./shell.js";
import type { FromWorker, ToWorker, WorkerInit } from "./thread-messages.js";

if (parentPort === null) throw new Error("barn: thread-main.js must run in a worker thread");
const port = parentPort;
const shell = new WorkerShell(workerData as WorkerInit, port);
port.on("message", (msg: ToWorker) => {
  shell.onSchedulerMessage(msg);
  if (shell.closed) port.close();
});
port.postMessage({ t: "ready" } satisfies FromWorker);
