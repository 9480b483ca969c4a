/** A client as the scheduler sees it: the keys it holds futures to. */
import type { ClientId } from "./protocol.js";
import type { TaskState } from "./task-state.js";

export class ClientState {
  readonly id: ClientId;
  /**
   * Tasks this client wants (set semantics: the client counts its own futures and releases a
   * key once, when its last future to it is gone). Invariant: `ts.wanters` includes this client
   * exactly when `holds` has `ts`.
   */
  readonly holds = new Set<TaskState>();

  constructor(id: ClientId) {
    this.id = id;
  }
}
