/**
 * Keeps the process alive while a user waits on the cluster, and only then. The local
 * cluster's worker threads and processes do not hold the event loop open (a script that forgets
 * `client.close()` still exits after its last line, as Dask and Ray scripts do), so something
 * must hold it while an await on a Future is pending: a timer that never fires, ref'd while
 * anything waits and unref'd when nothing does.
 */
export class KeepAlive {
  #waiting = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** One more (delta 1) or one fewer (delta -1) wait in progress. */
  add(delta: number): void {
    const before = this.#waiting;
    this.#waiting += delta;
    if (before === 0 && this.#waiting > 0) this.#handle().ref();
    else if (before > 0 && this.#waiting === 0) this.#timer?.unref();
  }

  /** Holds the process alive until `p` settles. */
  during<T>(p: Promise<T>): Promise<T> {
    this.add(1);
    return p.finally(() => this.add(-1));
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#waiting = 0;
  }

  #handle(): ReturnType<typeof setInterval> {
    this.#timer ??= setInterval(() => {}, 2 ** 30);
    return this.#timer;
  }
}
