/**
 * The handshake every connection starts with, as a pure state machine: messages in, messages
 * out, no sockets, clock or randomness (the nonce and the HMAC are injected). Both ends send a
 * hello (protocol and Barn versions, token or not, a nonce, their `Hello`). With a token on both
 * ends, each proves it holds the token by an HMAC over both nonces with a label of its own side,
 * so the token never crosses the wire and a proof cannot be reflected back. The listening side
 * ends with `welcome`; the connecting side is done only once it has the welcome (and, with
 * tokens, the listener's valid proof). The side that refuses sends `refuse` (code + reason)
 * first, so the other side fails with that reason, not a bare reset.
 */
import { BarnError, ErrorCodes } from "../errors.js";
import type { Hello, Role } from "./types.js";

/** Messages exchanged during the handshake (encoded with the message codec). */
export type HandshakeMessage =
  | {
      readonly t: "barn-hello";
      readonly protocol: number;
      readonly version: string;
      readonly token: boolean;
      readonly nonce: string;
      readonly hello: Hello;
    }
  | { readonly t: "barn-proof"; readonly mac: string }
  | { readonly t: "barn-welcome" }
  | { readonly t: "barn-refuse"; readonly code: string; readonly message: string };

/** Which end of the connection this machine runs: the listener or the connector. */
export type Side = "server" | "client";

/** One end's side of the handshake: what it says, and the injected nonce and crypto. */
export interface HandshakeConfig {
  readonly side: Side;
  readonly hello: Hello;
  readonly protocol: number;
  readonly version: string;
  /** A fresh random nonce (hex) for this connection. */
  readonly nonce: string;
  /** HMAC-SHA256 (hex) of a string under the shared token; undefined when this end has none. */
  readonly mac: ((data: string) => string) | undefined;
  /** Compares two MACs in constant time. */
  readonly equal: (a: string, b: string) => boolean;
  /** The other end's address, for messages. */
  readonly remote: string;
}

/** What a step produced: messages to send now, and the outcome once there is one. */
export interface HandshakeStep {
  readonly send: readonly HandshakeMessage[];
  readonly outcome?: { readonly ok: true; readonly peer: Hello } | HandshakeFailure;
}

/** A failed handshake. `refusedByPeer`: the other end refused (it sent the reason). */
export interface HandshakeFailure {
  readonly ok: false;
  readonly error: BarnError;
  readonly refusedByPeer: boolean;
}

type State = "idle" | "await-hello" | "await-proof" | "await-welcome" | "done";

const TOKEN_FIX = "set the same token on every end with --token-file or BARN_TOKEN";

/** One connection's handshake. Call `start()` once, then `receive()` for every message. */
export class Handshake {
  readonly #c: HandshakeConfig;
  #state: State = "idle";
  #peer: Hello | undefined;
  #peerNonce = "";
  /** Client only: whether the server's proof was checked (or none was needed). */
  #serverProven = false;

  constructor(config: HandshakeConfig) {
    this.#c = config;
  }

  /** True once an outcome (success or failure) was produced. */
  get finished(): boolean {
    return this.#state === "done";
  }

  /** The first step: send our hello. */
  start(): HandshakeStep {
    this.#state = "await-hello";
    const c = this.#c;
    const hello: HandshakeMessage = {
      t: "barn-hello",
      protocol: c.protocol,
      version: c.version,
      token: c.mac !== undefined,
      nonce: c.nonce,
      hello: c.hello,
    };
    return { send: [hello] };
  }

  /** Feed one message from the other end. */
  receive(msg: unknown): HandshakeStep {
    if (this.#state === "done" || this.#state === "idle") return { send: [] };
    if (isMessage(msg, "barn-refuse")) return this.#refused(msg);
    switch (this.#state) {
      case "await-hello":
        return this.#onHello(msg);
      case "await-proof":
        return isMessage(msg, "barn-proof") ? this.#onClientProof(msg) : this.#unexpected(msg);
      case "await-welcome":
        if (isMessage(msg, "barn-proof")) return this.#onServerProof(msg);
        return isMessage(msg, "barn-welcome") ? this.#onWelcome() : this.#unexpected(msg);
      default:
        return assertNever(this.#state);
    }
  }

  #onHello(msg: unknown): HandshakeStep {
    const c = this.#c;
    // Versions are compared before the rest of the hello is checked: another protocol version
    // may shape its hello differently, and the user must hear "version mismatch", not "garbage".
    if (!isMessage(msg, "barn-hello")) return this.#refuse(notBarn(c.remote));
    const v = msg as { protocol?: unknown; version?: unknown };
    if (v.protocol !== c.protocol || v.version !== c.version) {
      return this.#refuse(versionMismatch(c, msg));
    }
    if (!isHello(msg)) return this.#refuse(notBarn(c.remote));
    const h = msg;
    const mine = c.mac !== undefined;
    if (mine !== h.token) return this.#refuse(tokenPresenceMismatch(c, mine));
    this.#peer = h.hello;
    this.#peerNonce = h.nonce;
    if (c.side === "client") {
      this.#state = "await-welcome";
      this.#serverProven = !mine;
      return { send: mine ? [{ t: "barn-proof", mac: this.#proof("client") }] : [] };
    }
    if (!mine) return this.#succeed([{ t: "barn-welcome" }]);
    this.#state = "await-proof";
    return { send: [{ t: "barn-proof", mac: this.#proof("server") }] };
  }

  #onClientProof(p: Extract<HandshakeMessage, { t: "barn-proof" }>): HandshakeStep {
    if (!this.#check(p.mac, "client")) {
      return this.#refuse(
        auth(`the client at ${this.#c.remote} holds a different token than this end: ${TOKEN_FIX}`),
      );
    }
    return this.#succeed([{ t: "barn-welcome" }]);
  }

  #onServerProof(p: Extract<HandshakeMessage, { t: "barn-proof" }>): HandshakeStep {
    if (this.#c.mac === undefined || !this.#check(p.mac, "server")) {
      return this.#refuse(
        auth(`the server at ${this.#c.remote} holds a different token than this end: ${TOKEN_FIX}`),
      );
    }
    this.#serverProven = true;
    return { send: [] };
  }

  #onWelcome(): HandshakeStep {
    if (!this.#serverProven) {
      return this.#refuse(
        auth(`the server at ${this.#c.remote} did not prove it holds the token: ${TOKEN_FIX}`),
      );
    }
    return this.#succeed([]);
  }

  #proof(side: Side): string {
    const c = this.#c;
    const [clientNonce, serverNonce] =
      c.side === "client" ? [c.nonce, this.#peerNonce] : [this.#peerNonce, c.nonce];
    return c.mac!(`barn-${side}-proof|${c.protocol}|${clientNonce}|${serverNonce}`);
  }

  #check(mac: string, side: Side): boolean {
    return this.#c.equal(mac, this.#proof(side));
  }

  #succeed(send: HandshakeMessage[]): HandshakeStep {
    this.#state = "done";
    return { send, outcome: { ok: true, peer: this.#peer! } };
  }

  #refuse(error: BarnError): HandshakeStep {
    this.#state = "done";
    return {
      send: [{ t: "barn-refuse", code: error.code, message: error.message }],
      outcome: { ok: false, error, refusedByPeer: false },
    };
  }

  #refused(r: Extract<HandshakeMessage, { t: "barn-refuse" }>): HandshakeStep {
    this.#state = "done";
    const code = r.code.startsWith("BARN_") ? r.code : ErrorCodes.AUTH_FAILED;
    const error = new BarnError(code, `${this.#c.remote} refused the connection: ${r.message}`);
    return { send: [], outcome: { ok: false, error, refusedByPeer: true } };
  }

  #unexpected(msg: unknown): HandshakeStep {
    const t = typeof msg === "object" && msg !== null ? String((msg as { t?: unknown }).t) : "?";
    return this.#refuse(
      new BarnError(
        ErrorCodes.FRAME_INVALID,
        `unexpected handshake message "${t}" from ${this.#c.remote}: both ends must run the same Barn version`,
      ),
    );
  }
}

function versionMismatch(
  c: HandshakeConfig,
  h: Extract<HandshakeMessage, { t: "barn-hello" }>,
): BarnError {
  const me = `${describe(c.side, c.hello.role)} runs Barn ${c.version} (protocol ${c.protocol})`;
  const other = otherSide(c.side);
  const role = (h.hello as Partial<Hello> | undefined)?.role;
  const them = `${describe(other, role)} at ${c.remote} runs Barn ${String(h.version)} (protocol ${String(h.protocol)})`;
  const [first, second] = c.side === "server" ? [me, them] : [them, me];
  return new BarnError(
    ErrorCodes.VERSION_MISMATCH,
    `version mismatch: the ${first}, the ${second}; install the same Barn version on the scheduler, its workers and clients`,
  );
}

function tokenPresenceMismatch(c: HandshakeConfig, mine: boolean): BarnError {
  const other = `the ${otherSide(c.side)} at ${c.remote}`;
  return auth(
    mine
      ? `${other} has no token but this end requires one: ${TOKEN_FIX}`
      : `${other} has a token but this end has none: ${TOKEN_FIX}`,
  );
}

function notBarn(remote: string): BarnError {
  return new BarnError(
    ErrorCodes.FRAME_INVALID,
    `${remote} did not start with a Barn handshake: it is not a Barn endpoint, or runs an incompatible version`,
  );
}

function auth(message: string): BarnError {
  return new BarnError(ErrorCodes.AUTH_FAILED, message);
}

function describe(side: Side, role: Role | undefined): string {
  return `${side === "server" ? "listening" : "connecting"} ${role ?? "end"}`;
}

function otherSide(side: Side): Side {
  return side === "server" ? "client" : "server";
}

function isMessage<T extends HandshakeMessage["t"]>(
  msg: unknown,
  t: T,
): msg is Extract<HandshakeMessage, { t: T }> {
  if (typeof msg !== "object" || msg === null || (msg as { t?: unknown }).t !== t) return false;
  const m = msg as Record<string, unknown>;
  if (t === "barn-proof") return typeof m.mac === "string";
  if (t === "barn-refuse") return typeof m.code === "string" && typeof m.message === "string";
  return true;
}

function isHello(msg: unknown): msg is Extract<HandshakeMessage, { t: "barn-hello" }> {
  if (!isMessage(msg, "barn-hello")) return false;
  const h = msg as unknown as Record<string, unknown>;
  const hello = h.hello as Record<string, unknown> | undefined;
  return (
    typeof h.protocol === "number" &&
    typeof h.version === "string" &&
    typeof h.token === "boolean" &&
    typeof h.nonce === "string" &&
    typeof hello === "object" &&
    hello !== null &&
    typeof hello.role === "string" &&
    typeof hello.name === "string"
  );
}

function assertNever(x: never): never {
  throw new BarnError(ErrorCodes.INTERNAL, `unexpected handshake state ${String(x)}`);
}
