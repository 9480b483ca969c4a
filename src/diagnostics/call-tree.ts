/**
 * Call trees from sampled CPU profiles, as pure functions over plain data: a V8 profile's
 * nodes and per-node sample time become a tree of { name, file:line, self, total }; trees of
 * one task group merge (the scheduler adds every worker's periods into one); a tree past its
 * size cap folds its smallest branches into "(other)" nodes, so memory stays bounded however
 * long the profiler runs; and the flat "top functions" and a text rendering for terminals.
 */
import type { CallTree } from "../protocol/profile.js";

/** The part of a V8 `Profiler.ProfileNode` a call tree needs. */
export interface ProfileNodeLike {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    /** 0-based, as V8 gives it. */
    readonly lineNumber: number;
  };
  readonly children?: readonly number[] | undefined;
}

/** A function in the flat list: where its time went, summed over every path that reaches it. */
export interface TopFunction {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  /** ms sampled in the function itself. */
  readonly self: number;
  /** ms sampled in it or below (counted once per path, so recursion does not double it). */
  readonly total: number;
}

export const ROOT_NAME = "(root)";
export const OTHER_NAME = "(other)";

export function emptyTree(): CallTree {
  return { name: ROOT_NAME, file: "", line: 0, self: 0, total: 0, children: [] };
}

/**
 * The call tree of the nodes that received time: `weights` maps a node id to the ms sampled
 * in it. V8's own "(root)" node becomes the tree's root; nodes with no time are left out.
 */
export function treeFromProfile(
  nodes: readonly ProfileNodeLike[],
  weights: ReadonlyMap<number, number>,
): CallTree {
  if (nodes.length === 0 || weights.size === 0) return emptyTree();
  const byId = new Map<number, ProfileNodeLike>();
  const parent = new Map<number, number>();
  for (const n of nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const total = new Map<number, number>();
  for (const [id, ms] of weights) {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      total.set(at, (total.get(at) ?? 0) + ms);
    }
  }
  const root = nodes.find((n) => !parent.has(n.id)) ?? nodes[0]!;
  const build = (n: ProfileNodeLike): CallTree => {
    const children: CallTree[] = [];
    for (const c of n.children ?? []) {
      if (total.has(c)) children.push(build(byId.get(c)!));
    }
    const f = n.callFrame;
    return {
      name: f.functionName === "" ? "(anonymous)" : f.functionName,
      file: f.url,
      line: f.lineNumber + 1,
      self: weights.get(n.id) ?? 0,
      total: total.get(n.id) ?? 0,
      children,
    };
  };
  const tree = build(root);
  return tree.name === ROOT_NAME ? tree : { ...emptyTree(), total: tree.total, children: [tree] };
}

function frameKey(t: CallTree): string {
  return `${t.name}\0${t.file}\0${t.line}`;
}

/** Adds `from` into `into` (same function at the same path: one node). Mutates `into`. */
export function mergeInto(into: CallTree, from: CallTree): CallTree {
  into.self += from.self;
  into.total += from.total;
  if (from.children.length === 0) return into;
  const index = new Map<string, CallTree>();
  for (const c of into.children) index.set(frameKey(c), c);
  for (const c of from.children) {
    const mine = index.get(frameKey(c));
    if (mine === undefined) {
      const copy = cloneTree(c);
      into.children.push(copy);
      index.set(frameKey(copy), copy);
    } else mergeInto(mine, c);
  }
  return into;
}

export function cloneTree(t: CallTree): CallTree {
  return { ...t, children: t.children.map(cloneTree) };
}

export function countNodes(t: CallTree): number {
  let n = 1;
  for (const c of t.children) n += countNodes(c);
  return n;
}

/**
 * The tree with at most about `maxNodes` nodes: the nodes with the most time stay (a parent
 * has at least its child's time, so what stays is connected), and each kept node's dropped
 * children become one "(other)" child holding their time. Totals are unchanged.
 */
export function capTree(tree: CallTree, maxNodes: number): CallTree {
  if (countNodes(tree) <= maxNodes) return tree;
  const all: { node: CallTree; depth: number }[] = [];
  const walk = (n: CallTree, depth: number) => {
    all.push({ node: n, depth });
    for (const c of n.children) walk(c, depth + 1);
  };
  walk(tree, 0);
  all.sort((a, b) => b.node.total - a.node.total || a.depth - b.depth);
  const keep = new Set<CallTree>();
  // Half the budget for real nodes: each kept node may add one "(other)".
  for (let i = 0; i < all.length && keep.size < Math.max(1, maxNodes >> 1); i++) {
    keep.add(all[i]!.node);
  }
  const rebuild = (n: CallTree): CallTree => {
    const children: CallTree[] = [];
    let other = 0;
    for (const c of n.children) {
      if (keep.has(c)) children.push(rebuild(c));
      else other += c.total;
    }
    if (other > 0) {
      const existing = children.find((c) => c.name === OTHER_NAME);
      if (existing !== undefined) {
        existing.self += other;
        existing.total += other;
      } else
        children.push({
          name: OTHER_NAME,
          file: "",
          line: 0,
          self: other,
          total: other,
          children: [],
        });
    }
    return { ...n, children };
  };
  return rebuild(tree);
}

/** The functions with the most self time (V8's bookkeeping frames, "(root)" and such, left out). */
export function topFunctions(tree: CallTree, limit = 20): TopFunction[] {
  const acc = new Map<
    string,
    { name: string; file: string; line: number; self: number; total: number }
  >();
  const onPath = new Map<string, number>();
  const walk = (n: CallTree) => {
    const key = frameKey(n);
    let f = acc.get(key);
    if (f === undefined)
      acc.set(key, (f = { name: n.name, file: n.file, line: n.line, self: 0, total: 0 }));
    f.self += n.self;
    const depth = onPath.get(key) ?? 0;
    if (depth === 0) f.total += n.total;
    onPath.set(key, depth + 1);
    for (const c of n.children) walk(c);
    onPath.set(key, depth);
  };
  walk(tree);
  return [...acc.values()]
    .filter((f) => f.name !== ROOT_NAME && f.self > 0)
    .sort((a, b) => b.self - a.self)
    .slice(0, limit);
}

/**
 * The tree re-rooted at the task functions: on each path, the first frame below a run of
 * `isRunner` frames (the code that calls a task's function: the executor, the sync
 * scheduler's loop) becomes a child of the root, merged with equal ones; the frames above it
 * and the runners are dropped, their own time going to one child named `droppedName`. Paths
 * with no runner (the garbage collector, an async task's later turns) stay as they are.
 */
export function hoistTasks(
  tree: CallTree,
  isRunner: (t: CallTree) => boolean,
  droppedName: string,
): CallTree {
  const root: CallTree = { ...emptyTree(), self: tree.self, total: tree.total };
  const holds = new Map<CallTree, boolean>();
  const hasRunner = (n: CallTree): boolean => {
    let v = holds.get(n);
    if (v === undefined) holds.set(n, (v = isRunner(n) || n.children.some(hasRunner)));
    return v;
  };
  let dropped = 0;
  const lift = (n: CallTree) => mergeInto(root, { ...emptyTree(), children: [n] });
  const visit = (n: CallTree, belowRunner: boolean) => {
    for (const c of n.children) {
      if (isRunner(c)) {
        dropped += c.self;
        visit(c, true);
      } else if (belowRunner || !hasRunner(c)) lift(c);
      else {
        dropped += c.self;
        visit(c, false);
      }
    }
  };
  visit(tree, false);
  if (dropped > 0) {
    root.children.push({
      name: droppedName,
      file: "",
      line: 0,
      self: dropped,
      total: dropped,
      children: [],
    });
  }
  return root;
}

/** "name (file:line)" with the file shortened to its last two path parts. */
export function frameLabel(t: { name: string; file: string; line: number }): string {
  if (t.file === "") return t.name;
  const parts = t.file.replace(/^file:\/\//, "").split("/");
  return `${t.name} (${parts.slice(-2).join("/")}:${t.line})`;
}

export interface TreeTextOptions {
  /** Branches under this fraction of the root's time are left out. Default 0.01. */
  readonly minFraction?: number | undefined;
  /** Deepest level printed. Default 30. */
  readonly maxDepth?: number | undefined;
}

/** The tree as indented lines: total ms, share of the root, self ms, the function. */
export function treeText(tree: CallTree, options: TreeTextOptions = {}): string {
  const min = (options.minFraction ?? 0.01) * tree.total;
  const maxDepth = options.maxDepth ?? 30;
  const lines: string[] = [];
  const pct = (v: number) => (tree.total > 0 ? ((100 * v) / tree.total).toFixed(1) : "0.0");
  const walk = (n: CallTree, depth: number) => {
    lines.push(
      `${n.total.toFixed(1).padStart(9)} ms ${pct(n.total).padStart(5)}% ${n.self.toFixed(1).padStart(8)} ms self  ${"  ".repeat(depth)}${frameLabel(n)}`,
    );
    if (depth >= maxDepth) return;
    const kids = n.children.filter((c) => c.total >= min && c.total > 0);
    kids.sort((a, b) => b.total - a.total);
    for (const c of kids) walk(c, depth + 1);
  };
  walk(tree, 0);
  return lines.join("\n");
}
