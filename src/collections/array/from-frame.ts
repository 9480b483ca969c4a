/**
 * Between barn/frame and barn/array: `fromFrame(df, columns)` gives the columns' values as an
 * array, one chunk per partition (rows x columns, or 1-D for one column name). A partition's
 * length is unknown until it is computed (a filter may have run), so fromFrame counts the
 * rows first (one small task per partition; dask's `to_dask_array(lengths=True)`), which
 * makes it async and computes the frame twice unless it is persisted; the array itself stays
 * lazy. barn/frame does not import barn/array (array sits above frame in docs/architecture.md),
 * so this is the one bridge, on the array side.
 */
import { BarnError, OptionError } from "../../errors.js";
import { data, ref, task } from "../../graph/spec.js";
import { checkOptionKeys } from "../../io/options.js";
import type { DataFrame } from "../frame/dataframe.js";
import { fieldOf } from "../frame/errors.js";
import { graphOfPlan, withClient } from "../frame/run.js";
import type { Names, Row } from "../frame/types.js";
import { BArray } from "./array.js";
import { alloc, type DType, promote } from "./dtype.js";
import { ArrayErrorCodes } from "./errors.js";
import { arrayOps } from "./ops.js";
import type { RunOptions } from "./run.js";

/** A frame column type's array dtype (timestamps as float64 milliseconds, dates as int32 days). */
const DTYPES: Readonly<Record<string, DType>> = {
  int32: "int32",
  int64: "int64",
  float64: "float64",
  bool: "bool",
  timestamp: "float64",
  date: "int32",
};

/** The array dtype of the named columns together (NumPy's promotion across them). */
function dtypeOf(df: DataFrame, names: readonly string[]): DType {
  let out: DType | undefined;
  for (const name of names) {
    const f = fieldOf(df.schema, name, "fromFrame");
    const d = DTYPES[f.type];
    if (d === undefined) {
      throw new BarnError(
        ArrayErrorCodes.DTYPE,
        `fromFrame: column ${JSON.stringify(name)} is ${f.type}, which has no array dtype. Fix: leave it out, or encode it as numbers first`,
      );
    }
    out = out === undefined ? d : promote(out, d);
  }
  return out!;
}

/**
 * The columns of `df` as a lazy array: `fromFrame(df, "x")` is 1-D, `fromFrame(df, ["x", "y"])`
 * is rows x 2, in the frame's row order, one chunk per non-empty partition.
 */
export async function fromFrame<S extends Row>(
  df: DataFrame<S>,
  columns: Names<S> | readonly Names<S>[],
  options: RunOptions = {},
): Promise<BArray> {
  checkOptionKeys("fromFrame", options, ["client", "scheduler"]);
  if (typeof df?.plan !== "object" || typeof df.select !== "function")
    throw new OptionError("fromFrame(df, columns): df must be a barn/frame DataFrame");
  const names: string[] = typeof columns === "string" ? [columns] : [...(columns as string[])];
  if (names.length === 0 || names.some((n) => typeof n !== "string"))
    throw new OptionError("fromFrame(df, columns): give a column name or a non-empty list of them");
  const dtype = dtypeOf(df as unknown as DataFrame, names);
  const picked = df.select(...(names as never[]));
  const lengths = await rowCounts(picked as unknown as DataFrame, options);
  const { graph, keys: parts } = graphOfPlan(picked.plan);
  const g = new Map(graph);
  const keys: string[] = [];
  const lens: number[] = [];
  parts.forEach((p, i) => {
    if (lengths[i] === 0) return;
    const k = `array-from-frame-${p}`;
    g.set(k, task(arrayOps.frameChunk, ref(p), names, dtype));
    keys.push(k);
    lens.push(lengths[i]!);
  });
  if (keys.length === 0) {
    const k = `array-from-frame-empty-${parts[0] ?? "none"}`;
    g.set(k, data(alloc(dtype, 0)));
    keys.push(k);
    lens.push(0);
  }
  const rows = lens.reduce((a, b) => a + b, 0);
  const one = typeof columns === "string";
  return new BArray(
    {
      kind: "keys",
      keys,
      graph: g,
      shape: one ? [rows] : [rows, names.length],
      chunks: one ? [lens] : [lens, [names.length]],
      dtype,
    },
    picked.held,
  );
}

/** Each partition's row count, computed now. */
async function rowCounts(df: DataFrame, options: RunOptions): Promise<number[]> {
  const { graph, keys } = graphOfPlan(df.plan);
  const g = new Map(graph);
  const counts = keys.map((k) => {
    const c = `array-rows-${k}`;
    g.set(c, task(arrayOps.rowCount, ref(k)));
    return c;
  });
  return withClient(options, async (client) => {
    const futures = client.submitGraph(g, counts);
    try {
      return (await client.gather(futures)) as number[];
    } finally {
      for (const f of futures) f.release();
    }
  });
}
