/**
 * The errors of the Zarr layer, built in one place so every message names the path, what is wrong
 * and the fix in the same words.
 */
import { BarnError, ErrorCodes } from "../../../errors.js";

/** A metadata file or chunk that cannot be parsed or decoded. */
export function corrupt(file: string, what: string, cause?: unknown): BarnError {
  return new BarnError(
    ErrorCodes.ZARR_CORRUPT,
    `Zarr store damaged: ${file} ${what}. Fix: rewrite the array (x.toZarr(path, { overwrite: ` +
      `true })) or restore the file; a chunk file that is deleted reads as the fill value.`,
    cause === undefined ? {} : { cause },
  );
}

/** Something well-formed that Barn does not read or write. */
export function unsupported(where: string, what: string, fix: string): BarnError {
  return new BarnError(
    ErrorCodes.ZARR_UNSUPPORTED,
    `${where}: ${what}, which Barn does not support. Fix: ${fix}`,
  );
}

/** Nothing (or a group) where an array was expected. */
export function notFound(dir: string, what: string, fix: string): BarnError {
  return new BarnError(ErrorCodes.ZARR_NOT_FOUND, `no Zarr array at ${dir}: ${what}. Fix: ${fix}`);
}

/** The message of whatever a codec or the filesystem threw, for our messages. */
export function reason(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : "";
    return `${err.message}${cause}`;
  }
  return String(err);
}
