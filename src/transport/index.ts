/**
 * Barn's transports: `listen` and `connect` by address, the transport registry, and the
 * contract types. See docs/transport.md for the wire format and the handshake.
 */
export { type Address, DEFAULT_PORT, formatAddress, isLoopback, parseAddress } from "./address.js";
export { DEFAULT_MAX_FRAME_BYTES } from "./framing.js";
export { connect, knownSchemes, listen, registerTransport } from "./registry.js";
export { CONNECT_TIMEOUT_MS, HANDSHAKE_TIMEOUT_MS } from "./stream-transport.js";
export type {
  Connection,
  ConnectionStats,
  ConnectOptions,
  Hello,
  Listener,
  ListenOptions,
  Role,
  SecurityOptions,
  Transport,
} from "./types.js";
export { barnVersion, PROTOCOL_VERSION } from "./version.js";
