/**
 * Schema helpers shared by the readers: looking columns up by name, projecting a schema, and the
 * error every reader raises for a column the data does not have.
 */

import { BarnError } from "../errors.js";
import type { Batch, Schema } from "../kernels/batch.js";
import { IoErrorCodes } from "./codes.js";

/** BARN_UNKNOWN_COLUMN naming the column, where it was asked for, and the columns there are. */
export function unknownColumnError(name: string, schema: Schema, where: string): BarnError {
  const have = schema.map((f) => f.name).join(", ");
  return new BarnError(
    IoErrorCodes.UNKNOWN_COLUMN,
    `unknown column "${name}" in ${where}: the data has columns ${have}; fix the name`,
  );
}

/** The schema restricted to `columns` (in that order), or the whole schema when undefined. */
export function projectSchema(
  schema: Schema,
  columns: readonly string[] | undefined,
  where = "columns",
): Schema {
  if (columns === undefined) return schema;
  return columns.map((c) => {
    const f = schema.find((x) => x.name === c);
    if (f === undefined) throw unknownColumnError(c, schema, where);
    return f;
  });
}

/** The schema a batch has (a column is nullable when it has a validity bitmap). */
export function schemaOf(batch: Batch): Schema {
  return batch.names.map((name, i) => {
    const col = batch.columns[i]!;
    return { name, type: col.type, nullable: col.valid !== undefined };
  });
}
