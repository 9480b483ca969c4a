/**
 * The graph module: tasks as plain data and the pure passes over them. Nothing here performs
 * I/O or computes user code, except runFused, which calls the function it is given.
 */
export { cull } from "./cull.js";
export { dependencies, dependents, nodeDependencies } from "./deps.js";
export { type CallFn, fuseLinear, runFused } from "./fuse.js";
export { keyGroup } from "./key-group.js";
export { order } from "./order.js";
export {
  collectRefs,
  decodeArgs,
  type EncodedArgs,
  encodeArgs,
  isPlainContainer,
  type LeafTest,
  MAX_ARG_DEPTH,
  mapRefs,
  type RefPath,
  type RefSlot,
  replaceLeaves,
  substituteRefs,
} from "./refs.js";
export {
  type AliasNode,
  alias,
  type DataNode,
  data,
  type FusedNode,
  type Graph,
  type GraphNode,
  type Key,
  ref,
  type TaskNode,
  TaskRef,
  task,
} from "./spec.js";
export { TOKENIZE, tokenize } from "./tokenize.js";
export { graphFromEntries, validateGraph } from "./validate.js";
