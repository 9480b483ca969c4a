/** A client as the scheduler sees it. */
import type { ClientId } from "./protocol.js";

export class ClientState {
  readonly id: ClientId;
  /**
   * How many tasks list this client among their wanters (set semantics: a client wants a key or
   * not; it counts its own futures and releases a key once, when its last future is gone). The
   * tasks themselves are not listed here: that would cost a Set insert and delete per task on
   * the hot path; remove-client scans the task table instead.
   */
  nkeys = 0;
  /** `[this]`: the wanters list of every task only this client wants (see withOne). Never mutated. */
  readonly only: ClientState[];

  constructor(id: ClientId) {
    this.id = id;
    this.only = [this];
  }
}
