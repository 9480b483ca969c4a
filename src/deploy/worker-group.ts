/**
 * `barn worker --nworkers N`: N workers in one process, each a WorkerNode of its own (own
 * connection, own task thread, own peer listener), named "<name>-<i>". A task thread that
 * crashes takes down its worker only; the group ends when every worker has.
 */
import { hostname } from "node:os";
import { WorkerNode, type WorkerNodeOptions } from "./worker-node.js";

export interface WorkerGroup {
  readonly nodes: readonly WorkerNode[];
  /** Settles when every worker stopped: rejects with the first failure, if any. */
  readonly done: Promise<void>;
  close(reason?: string): Promise<void>;
}

export async function startWorkerGroup(n: number, o: WorkerNodeOptions): Promise<WorkerGroup> {
  const base = o.name ?? `${hostname()}-${process.pid}`;
  const nodes = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      n === 1
        ? WorkerNode.start({ ...o, name: base })
        : WorkerNode.start({ ...o, name: `${base}-${i}`, log: o.log?.child(`worker-${i}`) }),
    ),
  );
  const done = Promise.allSettled(nodes.map((node) => node.done)).then((rs) => {
    const failed = rs.find((r) => r.status === "rejected");
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  });
  return {
    nodes,
    done,
    close: async (reason = "closed") => {
      await Promise.all(nodes.map((node) => node.close(reason)));
    },
  };
}
