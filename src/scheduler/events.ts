/** Dispatch of one event to its handler. */
import {
  cancelKeys,
  clientDesiresKeys,
  clientReleasesKeys,
  removeClient,
} from "./client-events.js";
import type { SchedulerCore } from "./core.js";
import { tick } from "./no-worker.js";
import type { SchedulerEvent } from "./protocol.js";
import { addReplicas, retireWorkers } from "./retire.js";
import { balance, stealResponse } from "./steal.js";
import { checkStopping, taskStopped } from "./stuck.js";
import { updateGraph } from "./update-graph.js";
import {
  addWorker,
  missingData,
  removeWorker,
  scatterData,
  taskErred,
  taskFinished,
  workerPaused,
} from "./worker-events.js";

export function handleEvent(s: SchedulerCore, ev: SchedulerEvent): void {
  switch (ev.type) {
    case "update-graph":
      updateGraph(s, ev);
      return;
    case "task-finished":
      taskFinished(s, ev);
      return;
    case "task-erred":
      taskErred(s, ev);
      return;
    case "client-releases-keys":
      clientReleasesKeys(s, ev);
      return;
    case "client-desires-keys":
      clientDesiresKeys(s, ev);
      return;
    case "cancel":
      cancelKeys(s, ev);
      return;
    case "add-client":
      s.client(ev.client);
      return;
    case "remove-client":
      removeClient(s, ev);
      return;
    case "add-worker":
      addWorker(s, ev);
      return;
    case "remove-worker":
      removeWorker(s, ev);
      return;
    case "scatter-data":
      scatterData(s, ev);
      return;
    case "missing-data":
      missingData(s, ev);
      return;
    case "balance":
      balance(s, ev);
      return;
    case "worker-paused":
      workerPaused(s, ev);
      return;
    case "steal-response":
      stealResponse(s, ev);
      return;
    case "task-stopped":
      taskStopped(s, ev);
      return;
    case "check-stopping":
      checkStopping(s, ev);
      return;
    case "tick":
      tick(s, ev);
      return;
    case "retire-workers":
      retireWorkers(s, ev);
      return;
    case "add-replicas":
      addReplicas(s, ev);
      return;
    default:
      ev satisfies never;
  }
}
