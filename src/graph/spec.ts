/**
 * The task graph as plain data (the idea of dask's `_task_spec`). A graph maps keys to nodes:
 * a task (a function and its arguments), a literal data node, or an alias of another key.
 * Arguments may hold `TaskRef`s anywhere inside plain arrays and plain objects; a ref stands
 * for the value of another key. Nothing here computes anything.
 */

/** A task's name in a graph. Non-empty string, unique in the graph. */
export type Key = string;

/** Stands for the value of another key wherever it appears inside a task's arguments. */
export class TaskRef {
  constructor(readonly key: Key) {}
}

/** A call of `fn` on `args`, after every TaskRef inside `args` is replaced by its value. */
export interface TaskNode {
  readonly kind: "task";
  readonly fn: Function;
  readonly args: readonly unknown[];
}

/** A literal value placed in the graph. */
export interface DataNode {
  readonly kind: "data";
  readonly value: unknown;
}

/** Another name for `target`'s value. */
export interface AliasNode {
  readonly kind: "alias";
  readonly target: Key;
}

export type GraphNode = TaskNode | DataNode | AliasNode | FusedNode;

/** A task graph. Insertion order is the submission order. */
export type Graph = ReadonlyMap<Key, GraphNode>;

export function task(fn: Function, ...args: unknown[]): TaskNode {
  return { kind: "task", fn, args };
}

export function data(value: unknown): DataNode {
  return { kind: "data", value };
}

export function alias(target: Key): AliasNode {
  return { kind: "alias", target };
}

export function ref(key: Key): TaskRef {
  return new TaskRef(key);
}

/**
 * A linear chain of tasks fused into one node (graph/fuse.ts). The steps run in order on one
 * worker; a TaskRef to an earlier step's key resolves to that step's value, and the last step's
 * value is the node's value. Refs to keys outside the chain are the node's dependencies.
 */
export interface FusedNode {
  readonly kind: "fused";
  readonly steps: readonly (readonly [Key, TaskNode])[];
}
