/**
 * A fused chain of row-wise steps over one batch: filter (selection vector, then one gather),
 * project, withColumns, rename. This is what one blockwise task runs per partition.
 */
import type { Batch, Column } from "../../kernels/batch.js";
import { projectBatch } from "../../kernels/column.js";
import { evalColumn, filterRows } from "./eval.js";
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

/** `ops` applied to `batch` in order. */
export function runOps(batch: Batch, ops: readonly RowOp[]): Batch {
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
      default:
        op satisfies never;
    }
  }
  return b;
}
