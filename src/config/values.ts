/** Typed reads of single settings (after config/load.ts's precedence). */
import { config } from "./load.js";

export function configuredNumber(key: string): number | undefined {
  const v = config().get(key);
  return typeof v === "number" ? v : undefined;
}

export function configuredString(key: string): string | undefined {
  const v = config().get(key);
  return typeof v === "string" ? v : undefined;
}

/** A size setting as the CLI's flags take it: "4GiB" as written, a number of bytes as digits. */
export function configuredBytes(key: string): string | undefined {
  const v = config().get(key);
  return typeof v === "number" ? String(v) : typeof v === "string" ? v : undefined;
}

/** The adapt.* settings, as AdaptOptions fields (undefined where unset). */
export function configuredAdapt(): {
  minimum?: number;
  maximum?: number;
  targetDuration?: number;
  wait?: number;
  intervalMs?: number;
} {
  const out: Record<string, number> = {};
  for (const k of ["minimum", "maximum", "targetDuration", "wait", "intervalMs"]) {
    const v = configuredNumber(`adapt.${k}`);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** The frame.shuffle setting as a frame verb's `shuffle` option (undefined: "auto"). */
export function configuredFrameShuffle(): "p2p" | "tasks" | undefined {
  const v = configuredString("frame.shuffle");
  return v === "p2p" || v === "tasks" ? v : undefined;
}
