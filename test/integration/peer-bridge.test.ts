/**
 * The PeerBridge of a worker process over real loopback sockets: a fetch from a peer whose
 * link stays open but never answers (a lost request or reply) fails within the bridge's
 * timeout instead of holding the worker's fetches from that peer for ever (issue 16.8).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { MessagePort } from "node:worker_threads";
import { PeerBridge } from "../../src/deploy/peer-bridge.js";
import { silentLogger } from "../../src/diagnostics/log.js";
import { joinKeys } from "../../src/protocol/ops-codec.js";
import type { PeerMessage } from "../../src/protocol/worker-messages.js";
import { listen } from "../../src/transport/index.js";

test("a fetch a peer never answers is answered missing after the timeout", {
  timeout: 20_000,
}, async () => {
  let asked = 0;
  const silent = await listen("tcp://127.0.0.1:0", {
    hello: { role: "peer", name: "silent" },
    onConnection: (c) => c.onMessage(() => asked++), // takes the request, never answers
  });
  let port: MessagePort | undefined;
  const thread = {
    postMessage: (m: { t: string; port?: MessagePort }) => {
      if (m.t === "peer") port = m.port;
    },
  };
  const bridge = new PeerBridge("me", thread, {}, silentLogger, 300);
  try {
    bridge.add("silent", silent.address);
    assert.ok(port !== undefined, "the thread got a port for the peer");
    const replies: PeerMessage[] = [];
    port.on("message", (m: PeerMessage) => replies.push(m));
    port.postMessage({ t: "get", id: 7, keys: joinKeys(["x", "y"]) } satisfies PeerMessage);
    const deadline = Date.now() + 10_000;
    while (replies.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(asked, 1, "the request reached the peer");
    assert.deepEqual(replies, [{ t: "data", id: 7, values: [], missing: ["x", "y"] }]);
  } finally {
    bridge.close();
    port?.close();
    await silent.close();
  }
});
