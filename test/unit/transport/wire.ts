/** Speaking the wire by hand, for tests that play a misbehaving or foreign peer. */
import type { Socket } from "node:net";
import { encodeMessage, MessageReader } from "../../../src/transport/codec.js";
import { FrameParser, frameHeader } from "../../../src/transport/framing.js";
import { barnVersion, PROTOCOL_VERSION } from "../../../src/transport/version.js";

/** The bytes of one message as Barn frames it. */
export function frameOf(msg: unknown): Buffer {
  const enc = encodeMessage(msg);
  const parts: Uint8Array[] = [enc.head, enc.body];
  for (const b of enc.buffers) parts.push(frameHeader(b.byteLength), b);
  return Buffer.concat(parts);
}

/** A hello as a peer would send it, with versions to override. */
export function helloMessage(over: Record<string, unknown> = {}) {
  return {
    t: "barn-hello",
    protocol: PROTOCOL_VERSION,
    version: barnVersion(),
    token: false,
    nonce: "cd".repeat(16),
    hello: { role: "client", name: "raw" },
    ...over,
  };
}

/** Collects the messages a raw socket receives. */
export function messagesOf(socket: Socket): { messages: unknown[]; ended: Promise<void> } {
  const parser = new FrameParser();
  const reader = new MessageReader();
  const messages: unknown[] = [];
  socket.on("data", (chunk) => {
    for (const f of parser.push(chunk)) {
      const m = reader.push(f);
      if (m) messages.push(m.message);
    }
  });
  const ended = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  socket.on("error", () => {});
  return { messages, ended };
}
