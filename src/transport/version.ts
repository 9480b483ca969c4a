/**
 * The versions both ends compare in the handshake: the wire protocol's and Barn's own. Barn
 * refuses to mix package versions because workers run code the scheduler ships.
 */
export { barnVersion } from "../version.js";

/** The wire protocol's version. Bump it on any change to framing, codec or handshake. */
export const PROTOCOL_VERSION = 1;
