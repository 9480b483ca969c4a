/**
 * Boolean logic with Kleene semantics (Arrow's and_kleene / or_kleene): false AND null is
 * false, true OR null is true, otherwise a null input gives null. Plus null tests.
 */
import type { Column } from "./batch.js";
import { compactValidity, isValid, newBitmap, setValid } from "./bitmap.js";

function bool(data: Uint8Array, valid: Uint8Array | undefined): Column {
  return { type: "bool", length: data.length, data, valid };
}

/** Kleene AND of two bool columns. */
export function and(a: Column, b: Column): Column {
  const n = a.length;
  const x = a.data as Uint8Array;
  const y = b.data as Uint8Array;
  const out = new Uint8Array(n);
  if (a.valid === undefined && b.valid === undefined) {
    for (let i = 0; i < n; i++) out[i] = x[i]! & y[i]!;
    return bool(out, undefined);
  }
  const valid = newBitmap(n);
  for (let i = 0; i < n; i++) {
    const va = isValid(a.valid, i);
    const vb = isValid(b.valid, i);
    const fa = va && x[i] === 0;
    const fb = vb && y[i] === 0;
    if (fa || fb) setValid(valid, i);
    else if (va && vb) {
      out[i] = 1;
      setValid(valid, i);
    }
  }
  return bool(out, compactValidity(valid, n));
}

/** Kleene OR of two bool columns. */
export function or(a: Column, b: Column): Column {
  const n = a.length;
  const x = a.data as Uint8Array;
  const y = b.data as Uint8Array;
  const out = new Uint8Array(n);
  if (a.valid === undefined && b.valid === undefined) {
    for (let i = 0; i < n; i++) out[i] = x[i]! | y[i]!;
    return bool(out, undefined);
  }
  const valid = newBitmap(n);
  for (let i = 0; i < n; i++) {
    const va = isValid(a.valid, i);
    const vb = isValid(b.valid, i);
    const ta = va && x[i] === 1;
    const tb = vb && y[i] === 1;
    if (ta || tb) {
      out[i] = 1;
      setValid(valid, i);
    } else if (va && vb) setValid(valid, i);
  }
  return bool(out, compactValidity(valid, n));
}

/** NOT of a bool column (null stays null). */
export function not(a: Column): Column {
  const x = a.data as Uint8Array;
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = x[i]! ^ 1;
  return bool(out, a.valid);
}

/** True where the row is null (never null itself). */
export function isNull(a: Column): Column {
  const out = new Uint8Array(a.length);
  if (a.valid !== undefined)
    for (let i = 0; i < a.length; i++) out[i] = isValid(a.valid, i) ? 0 : 1;
  return bool(out, undefined);
}

/** True where the row is not null. */
export function notNull(a: Column): Column {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = isValid(a.valid, i) ? 1 : 0;
  return bool(out, undefined);
}
