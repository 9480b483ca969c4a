/**
 * Starting a worker thread with the flags it should inherit (exec-argv.ts decides which): the
 * local cluster's workers and a `barn worker`'s task thread both start here.
 */
import { Worker, type WorkerOptions } from "node:worker_threads";
import { withoutInvalidFlags, workerThreadExecArgv } from "./exec-argv.js";

/** The flags that started a thread last time, so a rejected flag costs one retry per process. */
let accepted: string[] | undefined;

/**
 * `new Worker(entry, options)` with this process's flags filtered for a thread. A flag Node
 * rejects in a thread (ERR_WORKER_INVALID_EXEC_ARGV) is dropped and the start retried once.
 */
export function startWorkerThread(entry: URL, options: Omit<WorkerOptions, "execArgv">): Worker {
  const argv = accepted ?? workerThreadExecArgv(process.execArgv);
  try {
    const thread = new Worker(entry, { ...options, execArgv: argv });
    accepted = argv;
    return thread;
  } catch (err) {
    const fewer = withoutInvalidFlags(argv, err);
    if (fewer === undefined || fewer.length === argv.length) throw err;
    const thread = new Worker(entry, { ...options, execArgv: fewer });
    accepted = fewer;
    return thread;
  }
}
