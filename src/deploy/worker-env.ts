/**
 * The environment a nanny gives its worker process: the parent's, plus glibc malloc settings
 * that let freed buffers go back to the OS (Dask's nanny sets MALLOC_TRIM_THRESHOLD_ the same
 * way, `distributed.nanny.pre-spawn-environ`).
 *
 * Why: a worker measures itself by its RSS and pauses past 80% of its limit. Node allocates
 * ArrayBuffer memory with malloc. glibc serves blocks above its mmap threshold (128 KiB at
 * first) with mmap and unmaps them on free, but raises that threshold to the size of every such
 * block freed (up to 32 MiB): after the first decoded partition is freed, later buffers of a few
 * MiB come from the heap arenas, and freeing them returns nothing to the OS. On Node 24 a 256
 * MiB worker of a Parquet groupby then stood at its pause line with almost nothing managed,
 * paused with nothing to spill (issue 11's notes). Fixing both thresholds keeps large buffers in
 * mmap and trims the heap top when it is freed. glibc reads them once, at process start, so
 * they must be set by whoever starts the process; a value the user set is kept. Other C
 * libraries (musl) ignore them.
 */

/** Bytes: buffers from this size up are mmapped, and a freed heap top this large is trimmed. */
const MALLOC_THRESHOLD = String(128 * 1024);

export const MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: MALLOC_THRESHOLD,
  MALLOC_TRIM_THRESHOLD_: MALLOC_THRESHOLD,
};

/** `env` with MALLOC_ENV's settings added where `env` does not set them. */
export function workerProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const [name, value] of Object.entries(MALLOC_ENV)) {
    if (out[name] === undefined) out[name] = value;
  }
  return out;
}
