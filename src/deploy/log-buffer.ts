/**
 * The recent log lines of a cluster's components, for `cluster.logs()`: a bounded ring per
 * component (a worker that logs without end cannot grow the manager's memory).
 */
const DEFAULT_LINES = 500;

export class LogBuffer {
  readonly #lines = new Map<string, string[]>();
  readonly #capacity: number;

  constructor(capacity = DEFAULT_LINES) {
    this.#capacity = capacity;
  }

  /** Append text (one or more lines; a trailing partial line counts as a line). */
  add(component: string, text: string): void {
    let list = this.#lines.get(component);
    if (list === undefined) this.#lines.set(component, (list = []));
    for (const line of text.split("\n")) {
      if (line === "") continue;
      list.push(line);
      if (list.length > this.#capacity) list.splice(0, list.length - this.#capacity);
    }
  }

  /** A writer for one component (createLogger's `write`). */
  writer(component: string): (line: string) => void {
    return (line) => this.add(component, line);
  }

  /** A copy of every component's lines. */
  snapshot(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [k, v] of this.#lines) out[k] = [...v];
    return out;
  }

  /** The last `n` lines of one component, joined (for error messages). */
  tail(component: string, n = 10): string {
    return (this.#lines.get(component) ?? []).slice(-n).join("\n");
  }
}
