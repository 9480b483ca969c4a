/**
 * The pieces of a gather's fetch rounds: waiting for a set of keys, the pause before fetching
 * again, and the error once the rounds are used up.
 */
import { BarnError, ErrorCodes } from "../errors.js";
import type { KeyRecord } from "./key-record.js";

/**
 * Fetch rounds one gather makes for keys no holder has, before it gives up. A key lost with a
 * worker is recomputed and reported again in between, so a few rounds suffice; the bound turns
 * a fault that keeps a key unreachable into an error instead of a loop.
 */
export const MAX_FETCH_ATTEMPTS = 20;

/** A short wait before fetching again a key the scheduler still lists as held. */
export function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(200, 5 * 2 ** attempt)));
}

export function unreachable(records: readonly KeyRecord[], attempts: number): BarnError {
  const key = records[0]!.key;
  return new BarnError(
    ErrorCodes.WORKER_LOST,
    `could not fetch ${records.length} result(s) (first: ${key}) after ${attempts} tries: their holders keep losing them; check the workers' logs (client.story(key) shows what happened)`,
    { key },
  );
}

/** Resolves once every record is done; one promise for the whole set. */
export function waitAll(records: readonly KeyRecord[]): Promise<void> | undefined {
  let pending = 0;
  for (const r of records) if (!r.done) pending++;
  if (pending === 0) return undefined;
  return new Promise((resolve) => {
    const one = () => {
      if (--pending === 0) resolve();
    };
    for (const r of records) if (!r.done) r.onDone(one);
  });
}
