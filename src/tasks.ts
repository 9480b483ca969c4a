/**
 * `barn/tasks`: only `tasks()`, for modules that declare task functions. Importing this instead
 * of "barn" keeps the bundles that ship such modules to remote workers small.
 */
export { tasks } from "./shipping/modules.js";
