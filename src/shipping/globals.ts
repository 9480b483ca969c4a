/**
 * The global identifiers a shipped function may use. A worker thread (or a remote worker process)
 * has its own copy of each, so a reference to one of these is not a captured variable.
 *
 * Keep this list to names every Node >= 20 worker has. A name here that a worker lacks turns a
 * clear submit-time error into a ReferenceError on the worker.
 */

const LANGUAGE = [
  "undefined",
  "NaN",
  "Infinity",
  "globalThis",
  "Object",
  "Function",
  "Array",
  "Number",
  "String",
  "Boolean",
  "Symbol",
  "BigInt",
  "Math",
  "JSON",
  "Date",
  "RegExp",
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "WeakRef",
  "FinalizationRegistry",
  "Promise",
  "Proxy",
  "Reflect",
  "Intl",
  "Atomics",
  "WebAssembly",
  "parseInt",
  "parseFloat",
  "isNaN",
  "isFinite",
  "encodeURI",
  "encodeURIComponent",
  "decodeURI",
  "decodeURIComponent",
  "escape",
  "unescape",
];

const ERRORS = [
  "Error",
  "AggregateError",
  "EvalError",
  "RangeError",
  "ReferenceError",
  "SyntaxError",
  "TypeError",
  "URIError",
];

const BINARY = [
  "ArrayBuffer",
  "SharedArrayBuffer",
  "DataView",
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
  "Buffer",
  "Blob",
  "TextEncoder",
  "TextDecoder",
  "atob",
  "btoa",
];

/** Host (Node and web platform) globals that exist in every worker thread. */
const HOST = [
  "console",
  "process",
  "performance",
  "crypto",
  "structuredClone",
  "queueMicrotask",
  "setTimeout",
  "clearTimeout",
  "setInterval",
  "clearInterval",
  "setImmediate",
  "clearImmediate",
  "URL",
  "URLSearchParams",
  "AbortController",
  "AbortSignal",
  "Event",
  "EventTarget",
  "MessageChannel",
  "MessagePort",
  "BroadcastChannel",
  "fetch",
  "Request",
  "Response",
  "Headers",
  "FormData",
];

/**
 * Identifiers a shipped function may use without capturing anything. Dynamic `import("...")`
 * needs no entry: it is syntax, so a function that imports what it needs inside its body ships.
 */
export const SAFE_GLOBALS: ReadonlySet<string> = new Set([
  ...LANGUAGE,
  ...ERRORS,
  ...BINARY,
  ...HOST,
]);

/** Whether `name` is a global every worker has, so using it does not capture a variable. */
export function isSafeGlobal(name: string): boolean {
  return SAFE_GLOBALS.has(name);
}
