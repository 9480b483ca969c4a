/** A process's memory as Linux reports it in /proc, for the tests that bound it. */
import { readFileSync, writeFileSync } from "node:fs";

/** The peak resident set of a process (VmHWM), bytes. */
export function peakRss(pid: number | "self"): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (m === null) throw new Error(`no VmHWM line in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** Start a process's peak afresh (writing 5 to clear_refs resets VmHWM to the current RSS). */
export function resetPeak(pid: number | "self"): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}
