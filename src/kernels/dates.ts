/**
 * Date parts of timestamp (ms since the epoch, UTC) and date (days since the epoch) columns,
 * as int32: year, month (1-12), day (1-31), hour (0-23), weekday (0 = Monday ... 6 = Sunday, as
 * pandas' dayofweek). Civil dates come from Howard Hinnant's days-from-civil inverse, so no
 * Date object is made per row.
 */
import type { Column } from "./batch.js";

/** A date part. */
export type DatePart = "year" | "month" | "day" | "hour" | "weekday";

const MS_PER_DAY = 86_400_000;

/** The civil (year, month, day) of a day number, written into out[0..3). */
function civil(days: number, out: Int32Array): void {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  out[0] = m <= 2 ? y + 1 : y;
  out[1] = m;
  out[2] = d;
}

/** `part` of every row of a timestamp or date column (null rows stay null). */
export function datePart(part: DatePart, col: Column): Column {
  const n = col.length;
  const out = new Int32Array(n);
  const src = col.data as ArrayLike<number>;
  const isTs = col.type === "timestamp";
  const ymd = new Int32Array(3);
  for (let i = 0; i < n; i++) {
    const v = src[i]!;
    const days = isTs ? Math.floor(v / MS_PER_DAY) : v;
    switch (part) {
      case "hour":
        out[i] = isTs ? Math.floor((v - days * MS_PER_DAY) / 3_600_000) : 0;
        break;
      case "weekday":
        // 1970-01-01 was a Thursday (3 when Monday is 0).
        out[i] = (((days + 3) % 7) + 7) % 7;
        break;
      default:
        civil(days, ymd);
        out[i] = part === "year" ? ymd[0]! : part === "month" ? ymd[1]! : ymd[2]!;
    }
  }
  return { type: "int32", length: n, data: out, valid: col.valid };
}
