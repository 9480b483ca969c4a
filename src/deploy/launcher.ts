/**
 * How a cluster manager starts one worker, whatever "start" means: a task thread in this
 * process, a child process, a process on another machine over SSH, a pod. The manager owns
 * the policy (how many, which to stop); a launcher only starts and stops.
 */

export interface LaunchedWorker {
  /** The name it registers with. */
  readonly name: string;
  /** Where it runs ("local", a host, a pod). */
  readonly host: string;
  /** Settles when it stopped: its exit code (0: it was asked to stop; null: killed). */
  readonly exited: Promise<number | null>;
  /** Stop it now, whatever it is doing (graceful retirement happens before this). */
  stop(): Promise<void>;
}

export interface WorkerLauncher {
  /** Start a worker named `name`; resolves once it is started (not yet registered). */
  launch(name: string): Promise<LaunchedWorker>;
  /** Release what the launcher holds (connections); after every worker stopped. */
  close?(): Promise<void>;
}
