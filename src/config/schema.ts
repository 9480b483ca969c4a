/**
 * Barn's configuration schema: one entry per setting, read by the CLI, `Client.connect`, and
 * the cluster managers (config/load.ts). Each has a dotted key (its place in barn.config.json),
 * an environment variable, a type, a default and a line of documentation. docs/configuration.md
 * lists the same entries; a test holds the two together. Pure data.
 */

export type ConfigType = "integer" | "number" | "boolean" | "string" | "bytes";

export interface ConfigEntry {
  /** Dotted path in barn.config.json, e.g. "scheduler.port". */
  readonly key: string;
  readonly type: ConfigType;
  /** undefined: no default (Barn decides, e.g. one worker per core). */
  readonly default: number | boolean | string | undefined;
  /** Who reads it. */
  readonly usedBy: string;
  readonly doc: string;
  /** Allowed values of a string setting. */
  readonly choices?: readonly string[] | undefined;
  /** The smallest allowed value of a number (default 1 for integers, > 0 for numbers). */
  readonly min?: number | undefined;
}

export const CONFIG_SCHEMA: readonly ConfigEntry[] = [
  {
    key: "workers",
    type: "integer",
    default: undefined,
    usedBy: "Client.connect, LocalCluster",
    doc: "Workers of a local cluster (default: one per core).",
  },
  {
    key: "threadsPerWorker",
    type: "integer",
    default: 1,
    usedBy: "Client.connect, LocalCluster, barn worker --nthreads",
    doc: "Tasks one worker runs at once.",
  },
  {
    key: "memoryLimit",
    type: "bytes",
    default: undefined,
    usedBy: "Client.connect, LocalCluster, barn worker --memory-limit",
    doc: 'Memory per worker, buffers included, bytes or a size such as "4GiB": results spill past 60%, the worker pauses past 80% (default: the machine\'s memory shared among the workers).',
  },
  {
    key: "processes",
    type: "boolean",
    default: false,
    usedBy: "Client.connect, LocalCluster",
    doc: "Local workers as processes instead of threads.",
  },
  {
    key: "timeoutMs",
    type: "integer",
    default: 10_000,
    usedBy: "Client.connect",
    doc: "Give up connecting to a remote scheduler after this long, ms.",
  },
  {
    key: "heartbeatTimeoutMs",
    type: "integer",
    default: 10_000,
    usedBy: "Client.connect",
    doc: "Declare a silent remote scheduler lost after this long, ms.",
  },
  {
    key: "logLevel",
    type: "string",
    default: "info",
    usedBy: "barn scheduler, barn worker",
    doc: "Log threshold of the barn command.",
    choices: ["debug", "info", "warn", "error", "silent"],
  },
  {
    key: "scheduler.host",
    type: "string",
    default: "127.0.0.1",
    usedBy: "barn scheduler --host",
    doc: "Interface the scheduler listens on.",
  },
  {
    key: "scheduler.port",
    type: "integer",
    default: 8786,
    usedBy: "barn scheduler --port",
    doc: "Port the scheduler listens on (0: any free port).",
    min: 0,
  },
  {
    key: "scheduler.heartbeatTimeout",
    type: "number",
    default: 10,
    usedBy: "barn scheduler --heartbeat-timeout",
    doc: "Declare a silent worker lost after this many seconds.",
  },
  {
    key: "cluster.startTimeoutMs",
    type: "integer",
    default: 60_000,
    usedBy: "LocalCluster, SSHCluster, KubeCluster",
    doc: "How long a started worker may take to register, ms.",
  },
  {
    key: "adapt.minimum",
    type: "integer",
    default: 0,
    usedBy: "cluster.adapt()",
    doc: "Fewest workers.",
    min: 0,
  },
  {
    key: "adapt.maximum",
    type: "integer",
    default: undefined,
    usedBy: "cluster.adapt()",
    doc: "Most workers (default: no bound).",
  },
  {
    key: "adapt.targetDuration",
    type: "number",
    default: 5,
    usedBy: "cluster.adapt()",
    doc: "Seconds in which the outstanding work should finish.",
  },
  {
    key: "adapt.wait",
    type: "integer",
    default: 3,
    usedBy: "cluster.adapt()",
    doc: "Decisions to a smaller count in a row before workers are retired.",
  },
  {
    key: "adapt.intervalMs",
    type: "integer",
    default: 1000,
    usedBy: "cluster.adapt()",
    doc: "Milliseconds between adaptive decisions.",
  },
  {
    key: "frame.shuffle",
    type: "string",
    default: "auto",
    usedBy: "barn/frame merge, sortValues, setIndex, shuffle, repartition by key, groupby splitOut",
    doc: "Default shuffle of hash joins, sorts, repartitions by key and split-out aggregations: auto (P2P from 32 input partitions), p2p or tasks.",
    choices: ["auto", "p2p", "tasks"],
  },
];

/** "scheduler.heartbeatTimeout" -> "BARN_SCHEDULER_HEARTBEAT_TIMEOUT". */
export function envName(key: string): string {
  return `BARN_${key
    .split(".")
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase())
    .join("_")}`;
}
