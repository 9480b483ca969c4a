/** Shipping task functions to workers: as checked source, or as a reference to a module. */

export { compileSource, FunctionCache } from "./compile.js";
export { freeVariables, type ParsedFunction, parseFunctionSource } from "./freevars.js";
export { isSafeGlobal, SAFE_GLOBALS } from "./globals.js";
export { type ModuleRef, moduleRefOf, resolveModuleFunction, tasks } from "./modules.js";
export { functionName, type ShippedFn, shipFunction } from "./ship.js";
