/**
 * Barn's errors: one base class, stable codes, and a plain-data form that crosses threads and
 * machines and is rebuilt on the other side. Every error a user can meet is a BarnError whose
 * message names the problem and the fix.
 */

/** Stable error codes. Never renumber or rename one: users match on them. */
export const ErrorCodes = {
  /** The task graph has a cycle; the message names the keys on it. */
  GRAPH_CYCLE: "BARN_GRAPH_CYCLE",
  /** A task refers to a key that is neither in the graph nor already known. */
  GRAPH_MISSING_DEPENDENCY: "BARN_GRAPH_MISSING_DEPENDENCY",
  /** Two tasks were given the same key in one submission. */
  GRAPH_DUPLICATE_KEY: "BARN_GRAPH_DUPLICATE_KEY",
  /** Something that is not a function was given where a task function was expected. */
  GRAPH_NOT_A_FUNCTION: "BARN_GRAPH_NOT_A_FUNCTION",
  /** A key is not a non-empty string, or a graph node has the wrong shape. */
  GRAPH_INVALID: "BARN_GRAPH_INVALID",
  /** A function cannot be shipped to workers (captures a variable, is native, ...). */
  FUNCTION_NOT_SHIPPABLE: "BARN_FUNCTION_NOT_SHIPPABLE",
  /** A module-referenced function could not be found on the worker. */
  FUNCTION_NOT_FOUND: "BARN_FUNCTION_NOT_FOUND",
  /** The user's task threw; message, key and remote stack are preserved. */
  TASK_FAILED: "BARN_TASK_FAILED",
  /** A task was running on too many workers that died. */
  KILLED_WORKER: "BARN_KILLED_WORKER",
  /** The task was cancelled before it finished. */
  CANCELLED: "BARN_CANCELLED",
  /** The key is not known to the scheduler (released, forgotten or never submitted). */
  UNKNOWN_KEY: "BARN_UNKNOWN_KEY",
  /** An option passed to a public entry point is invalid. */
  INVALID_OPTION: "BARN_INVALID_OPTION",
  /** No worker can ever run the task (resources or restrictions cannot be met). */
  NO_VALID_WORKER: "BARN_NO_VALID_WORKER",
  /** A wait with a timeout ran out of time. */
  TIMEOUT: "BARN_TIMEOUT",
  /** The client is closed. */
  CLIENT_CLOSED: "BARN_CLIENT_CLOSED",
  /** A value cannot be moved between threads (e.g. a function or a class instance with methods). */
  NOT_TRANSFERABLE: "BARN_NOT_TRANSFERABLE",
  /**
   * A task returned a value that cannot leave its worker (a function, a symbol, a promise, a
   * cycle): the task fails with this code, naming the part.
   */
  RESULT_NOT_SERIALIZABLE: "BARN_RESULT_NOT_SERIALIZABLE",
  /**
   * A task's arguments (or data given to scatter) hold something that cannot be copied to a
   * worker (a function, a symbol, a promise, a cycle): the submit, map, compute or scatter call
   * throws, naming the part.
   */
  ARG_NOT_SERIALIZABLE: "BARN_ARG_NOT_SERIALIZABLE",
  /** A Future was awaited (or passed to a task) after release(): it no longer holds its key. */
  FUTURE_RELEASED: "BARN_FUTURE_RELEASED",
  /** A connection to a scheduler, worker or peer was lost (or the client's link dropped). */
  CONNECTION_LOST: "BARN_CONNECTION_LOST",
  /** Could not connect to an address (nothing listening, unreachable, timed out). */
  CONNECT_FAILED: "BARN_CONNECT_FAILED",
  /** The other end does not hold the same token (HMAC challenge failed) or refused our TLS. */
  AUTH_FAILED: "BARN_AUTH_FAILED",
  /** The other end speaks another protocol version or runs another Barn version. */
  VERSION_MISMATCH: "BARN_VERSION_MISMATCH",
  /** A frame was malformed or larger than the limit; that one connection was closed. */
  FRAME_INVALID: "BARN_FRAME_INVALID",
  /**
   * A frame was larger than the receiving end's limit (`maxFrameBytes`, `--max-frame-bytes`; a
   * few KiB before the handshake completes); that one connection was closed.
   */
  FRAME_TOO_LARGE: "BARN_FRAME_TOO_LARGE",
  /** Could not listen on an address (port in use, address not of this machine). */
  LISTEN_FAILED: "BARN_LISTEN_FAILED",
  /** Refused to listen on a non-loopback address without a token or mutual TLS. */
  INSECURE_BIND: "BARN_INSECURE_BIND",
  /** A worker left the cluster (died, was killed or cut off) while it was needed. */
  WORKER_LOST: "BARN_WORKER_LOST",
  /**
   * A worker could not write results to (or read them back from) its local directory (full,
   * read-only, not a directory): the message names the directory. Nothing stored is lost.
   */
  SPILL_FAILED: "BARN_SPILL_FAILED",
  /**
   * A P2P shuffle could not write its pieces to (or read them from) a worker's shuffle
   * directory (full, read-only): the message names the directory.
   */
  SHUFFLE_FAILED: "BARN_SHUFFLE_FAILED",
  /**
   * A P2P shuffle's output task could not reach the pieces another worker held (that worker
   * left, or restarted): the scheduler recomputes the lost worker's pieces and runs the task
   * again (never a user-visible error unless it keeps happening past allowedFailures).
   */
  SHUFFLE_INPUT_LOST: "BARN_SHUFFLE_INPUT_LOST",
  /** A malformed CSV row: the message names the file, line and column, and the fixes. */
  CSV_PARSE: "BARN_CSV_PARSE",
  /** A malformed JSON lines row: the message names the file, line and column. */
  JSON_PARSE: "BARN_JSON_PARSE",
  /** A path, directory or glob matched no file. */
  IO_NOT_FOUND: "BARN_IO_NOT_FOUND",
  /** A column named in a query, a reader option or a schema is not in the data. */
  UNKNOWN_COLUMN: "BARN_UNKNOWN_COLUMN",
  /** A DataFrame expression combines types that do not fit (a string compared with a number). */
  FRAME_TYPE_MISMATCH: "BARN_FRAME_TYPE_MISMATCH",
  /** DataFrames that must share a schema (concat) do not. */
  FRAME_SCHEMA_MISMATCH: "BARN_FRAME_SCHEMA_MISMATCH",
  /** A mapPartitions function returned something that is not a batch or an arrow Table. */
  FRAME_BAD_PARTITION: "BARN_FRAME_BAD_PARTITION",
  /** An exact integer result (an int64 sum or arithmetic) falls outside the int64 range. */
  FRAME_OVERFLOW: "BARN_FRAME_OVERFLOW",
  /** A file uses a type or feature the readers do not support (nested Parquet columns). */
  IO_UNSUPPORTED: "BARN_IO_UNSUPPORTED",
  /** A file's bytes could not be decoded (a damaged or truncated Parquet file): names the file. */
  IO_CORRUPT: "BARN_IO_CORRUPT",
  /** No Zarr array at a path (no directory, no `.zarray`/`zarr.json`, or a group): names the path. */
  ZARR_NOT_FOUND: "BARN_ZARR_NOT_FOUND",
  /** A Zarr store's metadata or a chunk could not be parsed or decoded: names the file. */
  ZARR_CORRUPT: "BARN_ZARR_CORRUPT",
  /** A Zarr store uses a dtype, codec or layout Barn does not read or write: names it and the path. */
  ZARR_UNSUPPORTED: "BARN_ZARR_UNSUPPORTED",
  /** A chunk index outside a Zarr array's grid, or chunk data of the wrong dtype, length or shape. */
  ZARR_CHUNK: "BARN_ZARR_CHUNK",
  /** createZarrArray found something at the path and `overwrite` was not set (or it is not Zarr). */
  ZARR_EXISTS: "BARN_ZARR_EXISTS",
  /** The CPU profiler could not attach to a thread (node:inspector refused): names why. */
  PROFILER_FAILED: "BARN_PROFILER_FAILED",
  /** An internal invariant was broken: a bug in Barn. The message carries the task's story. */
  INTERNAL: "BARN_INTERNAL",
  /** A bag partition (from fromDelayed, mapPartitions, ...) is not an array. */
  BAG_BAD_PARTITION: "BARN_BAG_BAD_PARTITION",
  /** A bag aggregation that needs an element (min, max, fold without initial) got none. */
  BAG_EMPTY: "BARN_BAG_EMPTY",
  /** zip over bags whose partitions hold different numbers of elements. */
  BAG_LENGTH_MISMATCH: "BARN_BAG_LENGTH_MISMATCH",
  /** barn/array: an unknown dtype, or dtypes NumPy would refuse to mix (a scalar out of range). */
  ARRAY_DTYPE: "BARN_ARRAY_DTYPE",
  /** barn/array: shapes that do not broadcast together (the message names both). */
  ARRAY_BROADCAST: "BARN_ARRAY_BROADCAST",
  /** barn/array: a chunking that does not tile the shape. */
  ARRAY_CHUNKS: "BARN_ARRAY_CHUNKS",
  /** barn/array: an axis out of range for the array's number of dimensions. */
  ARRAY_AXIS: "BARN_ARRAY_AXIS",
  /** barn/array: a shape that does not fit (reshape, matmul, concatenate, a bad shape value). */
  ARRAY_SHAPE: "BARN_ARRAY_SHAPE",
  /** barn/array: an index or slice out of range, or a mask of the wrong shape. */
  ARRAY_INDEX: "BARN_ARRAY_INDEX",
  /** A frame column's toArray() without barn/array loaded: import "barn/array". */
  ARRAY_NOT_LOADED: "BARN_ARRAY_NOT_LOADED",
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Plain-data form of an error, safe to post between threads or encode on the wire. */
export interface ErrorData {
  name: string;
  code: ErrorCode | string;
  message: string;
  stack?: string | undefined;
  key?: string | undefined;
  /** Where the error happened (a worker name), when it happened remotely. */
  where?: string | undefined;
}

export interface BarnErrorOptions {
  key?: string | undefined;
  cause?: unknown;
  remoteStack?: string | undefined;
  where?: string | undefined;
}

/** The base of every error Barn throws. `code` is stable; match on it, not on the message. */
export class BarnError extends Error {
  readonly code: ErrorCode | string;
  /** The task key the error concerns, if any. */
  readonly key: string | undefined;
  /** The stack of the error where it was raised (a worker), when it crossed a boundary. */
  readonly remoteStack: string | undefined;
  /** The worker (or other place) that raised it, when remote. */
  readonly where: string | undefined;

  constructor(code: ErrorCode | string, message: string, options: BarnErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "BarnError";
    this.code = code;
    this.key = options.key;
    this.remoteStack = options.remoteStack;
    this.where = options.where;
  }

  toData(): ErrorData {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      stack: this.remoteStack ?? this.stack,
      key: this.key,
      where: this.where,
    };
  }
}

/** A graph could not be accepted (cycle, missing dependency, duplicate key, bad node). */
export class GraphError extends BarnError {
  constructor(code: ErrorCode, message: string, options: BarnErrorOptions = {}) {
    super(code, message, options);
    this.name = "GraphError";
  }
}

/** A function could not be shipped to workers. Raised at submit time, never on a worker. */
export class ShippingError extends BarnError {
  /** The free identifiers the function captures, when that is the reason. */
  readonly captured: readonly string[];
  constructor(message: string, captured: readonly string[] = [], options: BarnErrorOptions = {}) {
    super(ErrorCodes.FUNCTION_NOT_SHIPPABLE, message, options);
    this.name = "ShippingError";
    this.captured = captured;
  }
}

/**
 * A user's task threw. The message is the original message; `key` names the task and
 * `remoteStack` is the stack on the worker. `originalName` is the thrown error's class name.
 */
export class TaskError extends BarnError {
  readonly originalName: string;
  constructor(message: string, options: BarnErrorOptions & { originalName?: string } = {}) {
    super(ErrorCodes.TASK_FAILED, message, options);
    this.name = "TaskError";
    this.originalName = options.originalName ?? "Error";
    if (options.remoteStack !== undefined) {
      this.stack = `${this.name}: ${message}\n    [task ${options.key ?? "?"} on ${options.where ?? "worker"}]\n${stripFirstLine(options.remoteStack)}`;
    }
  }

  override toData(): ErrorData {
    return { ...super.toData(), name: this.originalName, code: this.code };
  }
}

/** A task ran on `allowedFailures + 1` workers that all died while running it. */
export class KilledWorkerError extends BarnError {
  constructor(message: string, options: BarnErrorOptions = {}) {
    super(ErrorCodes.KILLED_WORKER, message, options);
    this.name = "KilledWorkerError";
  }
}

/** The task was cancelled. */
export class CancelledError extends BarnError {
  constructor(key: string) {
    super(ErrorCodes.CANCELLED, `task ${key} was cancelled`, { key });
    this.name = "CancelledError";
  }
}

/** A public entry point was given an invalid option. The message names the option and the fix. */
export class OptionError extends BarnError {
  constructor(message: string) {
    super(ErrorCodes.INVALID_OPTION, message);
    this.name = "OptionError";
  }
}

function stripFirstLine(stack: string): string {
  const i = stack.indexOf("\n");
  return i < 0 ? "" : stack.slice(i + 1);
}

/** Turn anything thrown by user code into plain data, keeping its message, name and stack. */
export function errorToData(err: unknown, key?: string, where?: string): ErrorData {
  if (err instanceof BarnError) {
    const d = err.toData();
    return { ...d, key: d.key ?? key, where: d.where ?? where };
  }
  if (err instanceof Error) {
    return {
      name: err.name,
      code: ErrorCodes.TASK_FAILED,
      message: err.message,
      stack: err.stack,
      key,
      where,
    };
  }
  return {
    name: "Error",
    code: ErrorCodes.TASK_FAILED,
    message: `task threw a non-Error value: ${safeString(err)}`,
    key,
    where,
  };
}

/** Rebuild a user-facing error from plain data that crossed a boundary. */
export function errorFromData(data: ErrorData): BarnError {
  const opts = { key: data.key, remoteStack: data.stack, where: data.where };
  switch (data.code) {
    case ErrorCodes.TASK_FAILED:
      return new TaskError(data.message, { ...opts, originalName: data.name });
    case ErrorCodes.KILLED_WORKER:
      return new KilledWorkerError(data.message, opts);
    case ErrorCodes.CANCELLED:
      return new CancelledError(data.key ?? "?");
    default: {
      const e = new BarnError(data.code, data.message, opts);
      if (data.name) e.name = data.name;
      return e;
    }
  }
}

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}
