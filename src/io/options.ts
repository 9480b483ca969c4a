/**
 * Checks of user option objects at the boundary (readers, writers, frame verbs): an unknown key
 * is rejected naming the closest valid one (a typo such as `onBadLine` must not be ignored),
 * and a schema option's types must be types Barn has, named in the error.
 */
import { BarnError, ErrorCodes } from "../errors.js";
import type { DType } from "../kernels/batch.js";

/** Every column type, in the order errors list them. */
export const DTYPES: readonly DType[] = [
  "int32",
  "int64",
  "float64",
  "bool",
  "utf8",
  "dict",
  "date",
  "timestamp",
];

/** Names other libraries use for a type, and Barn's name for it. */
const TYPE_ALIASES: Readonly<Record<string, DType>> = {
  string: "utf8",
  str: "utf8",
  varchar: "utf8",
  text: "utf8",
  int: "int32",
  integer: "int32",
  bigint: "int64",
  long: "int64",
  float: "float64",
  double: "float64",
  number: "float64",
  boolean: "bool",
  datetime: "timestamp",
  category: "dict",
};

/** Edit distance between two short strings (for "did you mean"). */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The candidate closest to `name` (case-insensitive edit distance). */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

/**
 * Throws BARN_INVALID_OPTION when `options` has a key not in `allowed`, naming the key, the
 * closest valid key and all of them. Undefined or non-object options are left to the caller.
 */
export function checkOptionKeys(where: string, options: unknown, allowed: readonly string[]): void {
  if (options === null || typeof options !== "object") return;
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    const near = closest(key, allowed);
    throw new BarnError(
      ErrorCodes.INVALID_OPTION,
      `${where}: unknown option ${JSON.stringify(key)}${near === undefined ? "" : `; did you mean ${JSON.stringify(near)}?`} The options are ${allowed.join(", ") || "(none)"}. Fix: correct or remove the key`,
    );
  }
}

/** Throws BARN_INVALID_OPTION when a schema (a list of fields) names a type Barn lacks. */
export function checkFieldTypes(
  where: string,
  fields: readonly { readonly name: string; readonly type: unknown }[],
): void {
  if (!Array.isArray(fields)) {
    throw new BarnError(
      ErrorCodes.INVALID_OPTION,
      `${where}: the schema option must be a list of fields [{ name, type, nullable }, ...]; got ${JSON.stringify(fields)}`,
    );
  }
  checkSchemaTypes(where, Object.fromEntries(fields.map((f) => [f.name, f.type])));
}

/** Throws BARN_INVALID_OPTION when a `schema` option maps a column to a type Barn lacks. */
export function checkSchemaTypes(where: string, schema: unknown): void {
  if (schema === undefined) return;
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
    throw new BarnError(
      ErrorCodes.INVALID_OPTION,
      `${where}: the schema option must map column names to types, e.g. { id: "int64", name: "utf8" }; got ${JSON.stringify(schema)}`,
    );
  }
  for (const [column, type] of Object.entries(schema)) {
    if ((DTYPES as readonly unknown[]).includes(type)) continue;
    const alias = typeof type === "string" ? TYPE_ALIASES[type.toLowerCase()] : undefined;
    const near = alias ?? (typeof type === "string" ? closest(type, DTYPES) : undefined);
    throw new BarnError(
      ErrorCodes.INVALID_OPTION,
      `${where}: schema option: column ${JSON.stringify(column)} has type ${JSON.stringify(type)}, which is not a type; the types are ${DTYPES.join(", ")}.${near === undefined ? "" : ` Fix: write ${JSON.stringify(near)}`}`,
    );
  }
}
