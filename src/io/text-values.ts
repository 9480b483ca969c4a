/**
 * Text to typed values, for the text formats (CSV and JSON lines): strict parsers that say when
 * a string is not a value of a type (so a bad row can be named), ISO date and timestamp parsing
 * in UTC without going through local time, and type inference from a sample of strings.
 */

import type { DType } from "../kernels/batch.js";

const DAY_MS = 86_400_000;

/** An int32 from text, or undefined when the text is not an integer in range. */
export function parseInt32(s: string): number | undefined {
  if (s.length === 0) return undefined;
  const n = +s;
  return n === (n | 0) && !/[.eExX]/.test(s) ? n : undefined;
}

/** A float64 from text (`NaN`, `Infinity`, `inf` allowed), or undefined. */
export function parseFloat64(s: string): number | undefined {
  if (s.length === 0) return undefined;
  const n = +s;
  if (!Number.isNaN(n))
    return s.charCodeAt(0) === 48 && (s[1] === "x" || s[1] === "X") ? undefined : n;
  const l = s.toLowerCase();
  if (l === "nan") return Number.NaN;
  if (l === "inf" || l === "+inf" || l === "infinity") return Number.POSITIVE_INFINITY;
  if (l === "-inf" || l === "-infinity") return Number.NEGATIVE_INFINITY;
  return undefined;
}

/** An int64 from text, or undefined. */
export function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v >= -(2n ** 63n) && v < 2n ** 63n ? v : undefined;
}

const TRUE = new Set(["true", "True", "TRUE", "t", "T", "1", "yes", "y"]);
const FALSE = new Set(["false", "False", "FALSE", "f", "F", "0", "no", "n"]);

/** A bool (1 or 0) from text, or undefined. */
export function parseBool(s: string): number | undefined {
  if (TRUE.has(s)) return 1;
  if (FALSE.has(s)) return 0;
  return undefined;
}

function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return v;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (any year; no Date object, no local time). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Whether y-m-d is a day of the proleptic Gregorian calendar (2020-02-30 is not; NaN is not). */
export function isCivilDate(y: number, m: number, d: number): boolean {
  if (!(m >= 1 && m <= 12 && d >= 1)) return false;
  if (m !== 2) return d <= (m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31);
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (leap ? 29 : 28);
}

/** Days since the epoch from `YYYY-MM-DD`, or undefined (also for a day the month lacks). */
export function parseDate(s: string): number | undefined {
  if (s.length !== 10 || s[4] !== "-" || s[7] !== "-") return undefined;
  const y = digits(s, 0, 4);
  const m = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  if (Number.isNaN(y) || !isCivilDate(y, m, d)) return undefined;
  return daysFromCivil(y, m, d);
}

/**
 * Milliseconds since the epoch from ISO 8601 `YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|+HH:MM|+HHMM]`
 * (no zone means UTC), or from a bare date; undefined when the text is neither.
 */
export function parseTimestamp(s: string): number | undefined {
  const days = parseDate(s.slice(0, 10));
  if (days === undefined) return undefined;
  if (s.length === 10) return days * DAY_MS;
  const sep = s[10];
  if ((sep !== "T" && sep !== " ") || s[13] !== ":") return undefined;
  const hh = digits(s, 11, 2);
  const mm = digits(s, 14, 2);
  let i = 16;
  let sec = 0;
  if (s[i] === ":") {
    sec = digits(s, i + 1, 2);
    i += 3;
    if (s[i] === ".") {
      let j = i + 1;
      let frac = 0;
      let scale = 1;
      while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) {
        if (scale < 1e6) {
          frac = frac * 10 + (s.charCodeAt(j) - 48);
          scale *= 10;
        }
        j++;
      }
      if (j === i + 1) return undefined;
      sec += frac / scale;
      i = j;
    }
  }
  let offset = 0;
  if (i < s.length) {
    const z = s[i];
    if (z === "Z" && i === s.length - 1) offset = 0;
    else if (z === "+" || z === "-") {
      const rest = s.slice(i + 1).replace(":", "");
      if (rest.length !== 4 && rest.length !== 2) return undefined;
      const oh = digits(rest, 0, 2);
      const om = rest.length === 4 ? digits(rest, 2, 2) : 0;
      offset = (z === "-" ? -1 : 1) * (oh * 60 + om) * 60_000;
    } else return undefined;
  }
  const ms = days * DAY_MS + hh * 3_600_000 + mm * 60_000 + Math.round(sec * 1e6) / 1e3 - offset;
  return Number.isNaN(ms) || hh > 23 || mm > 59 || sec >= 61 ? undefined : ms;
}

/** Parses one non-null text value as `type`; undefined when it is not one. */
export function parseAs(type: DType, s: string): number | bigint | string | undefined {
  switch (type) {
    case "int32":
      return parseInt32(s);
    case "float64":
      return parseFloat64(s);
    case "int64":
      return parseInt64(s);
    case "bool":
      return parseBool(s);
    case "date":
      return parseDate(s);
    case "timestamp":
      return parseTimestamp(s);
    case "utf8":
    case "dict":
      return s;
  }
}

/** Below this share of distinct values among the non-null sampled strings, a string column is dict. */
const DICT_RATIO = 0.5;

/**
 * The narrowest type every non-null sample value parses as: int32, then int64, float64, bool
 * (true/false in any case),
 * date, timestamp; else strings, dict when few distinct values (at most half the sample).
 */
export function inferTextType(samples: readonly string[]): DType {
  if (samples.length === 0) return "utf8";
  const order: DType[] = ["int32", "int64", "float64", "bool", "date", "timestamp"];
  for (const t of order) {
    if (t === "bool") {
      if (samples.every((s) => /^(true|false)$/i.test(s))) return t;
    } else if (samples.every((s) => parseAs(t, s) !== undefined)) return t;
  }
  const distinct = new Set(samples).size;
  return distinct <= samples.length * DICT_RATIO ? "dict" : "utf8";
}
