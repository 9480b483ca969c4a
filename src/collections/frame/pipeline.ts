/**
 * A fused chain of row-wise steps over one batch: filter (selection vector, then one gather),
 * project, withColumns, rename, and broadcast joins with a small side. This is what one fused
 * task runs per partition (a blockwise task, or the steps under a partial aggregation).
 */
import type { Batch, Column } from "../../kernels/batch.js";
import { projectBatch } from "../../kernels/column.js";
import { evalColumn, filterRows } from "./eval.js";
import { joinBatches } from "./join-exec.js";
import type { RowOp } from "./plan.js";

function withColumns(batch: Batch, exprs: RowOp & { op: "with" }): Batch {
  const names = [...batch.names];
  const columns: Column[] = [...batch.columns];
  for (const [name, node] of exprs.exprs) {
    const c = evalColumn(node, batch);
    const at = names.indexOf(name);
    if (at >= 0) columns[at] = c;
    else {
      names.push(name);
      columns.push(c);
    }
  }
  return { names, columns, length: batch.length };
}

function rename(batch: Batch, mapping: readonly (readonly [string, string])[]): Batch {
  const m = new Map(mapping);
  return {
    names: batch.names.map((n) => m.get(n) ?? n),
    columns: batch.columns,
    length: batch.length,
  };
}

/**
 * `ops` applied to `batch` in order. With `scratch`, joins gather into scratch memory, for a
 * caller that gives their output back (scan-aggregate.ts).
 */
export function runOps(batch: Batch, ops: readonly RowOp[], scratch = false): Batch {
  let b = batch;
  for (const op of ops) {
    switch (op.op) {
      case "filter":
        b = filterRows(b, op.predicate);
        break;
      case "project":
        b = projectBatch(b, op.columns);
        break;
      case "with":
        b = withColumns(b, op);
        break;
      case "rename":
        b = rename(b, op.mapping);
        break;
      case "join":
        b = joinBatches(b, op.right, op.leftOn, op.rightOn, op.how, op.suffix, scratch);
        break;
      default:
        op satisfies never;
    }
  }
  return b;
}
