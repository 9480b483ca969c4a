/**
 * ws:// and wss:// over the `ws` package, for networks that pass only HTTP(S). The byte stream
 * is the same as on tcp (length-prefixed frames); each flush goes out as binary WebSocket
 * messages of at most WS_MESSAGE_BYTES, and a frame may span messages (the parser does not care
 * where chunks end).
 */
import { createServer as createHttpServer, type IncomingMessage } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Server, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { createWebSocketStream, WebSocket, WebSocketServer } from "ws";
import { formatAddress, hostOf, portOf } from "./address.js";
import { Admission, certificateRefusal } from "./admission.js";
import { checkBind } from "./bind-policy.js";
import { isTlsError } from "./stream-connection.js";
import {
  acceptStream,
  connectStream,
  HANDSHAKE_TIMEOUT_MS,
  listenerOf,
} from "./stream-transport.js";
import { clientTlsOptions, serverTlsOptions, tlsRefusal } from "./tls.js";
import type { Connection, ConnectOptions, Listener, ListenOptions, Transport } from "./types.js";

/** Largest WebSocket message either end sends or accepts. */
export const WS_MESSAGE_BYTES = 16 * 1024 * 1024;

const WRITE_MODE = { messageBytes: WS_MESSAGE_BYTES } as const;

/** WebSocket transport (ws://, wss://). */
export const wsTransport: Transport = {
  schemes: ["ws", "wss"],
  async listen(url: URL, options: ListenOptions): Promise<Listener> {
    const scheme = url.protocol.slice(0, -1);
    const host = hostOf(url);
    checkBind(host, scheme, options);
    const admission = new Admission(scheme, options);
    const server: Server =
      scheme === "wss"
        ? createHttpsServer(serverTlsOptions(options, "wss://"))
        : createHttpServer();
    // A stranger gets no longer to send its upgrade request than to finish a Barn handshake.
    const http = server as ReturnType<typeof createHttpServer>;
    http.headersTimeout = options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    http.requestTimeout = http.headersTimeout;
    const wss = new WebSocketServer({
      server: http,
      maxPayload: WS_MESSAGE_BYTES,
      perMessageDeflate: false,
    });
    wss.on("error", () => {}); // listen errors are reported by listenerOf
    server.on("tlsClientError", (err: Error, socket: Socket) => {
      if (!isTlsError(err)) return; // closed before TLS began (a scanner, or dropped on accept)
      const remote = `wss://${(socket.remoteAddress ?? "?").replace(/^::ffff:/, "")}:${socket.remotePort ?? 0}`;
      options.onRefused?.(remote, tlsRefusal(remote, err));
    });
    wss.on("connection", (ws: WebSocket, req: IncomingMessage) => {
      const stream = createWebSocketStream(ws);
      const s = req.socket;
      const remote = formatAddress({
        scheme,
        host: (s.remoteAddress ?? "?").replace(/^::ffff:/, ""),
        port: s.remotePort ?? 0,
        path: "",
      });
      const local = formatAddress({ scheme, host, port: s.localPort ?? 0, path: url.pathname });
      const refuse =
        scheme === "wss" ? certificateRefusal(s as TLSSocket, remote, options) : undefined;
      // The ws library assembles a whole message before the stream sees it: count the bytes
      // under it, so a stranger cannot make it buffer a 16 MiB message.
      const accepted = {
        stream,
        socket: s,
        remote,
        local,
        writeMode: WRITE_MODE,
        refuse,
        carrier: s,
      };
      acceptStream(accepted, options, admission);
    });
    const path = url.pathname === "/" ? "" : url.pathname;
    return listenerOf(server, admission, options.unref, scheme, host, portOf(url), path, () =>
      wss.close(),
    );
  },
  connect(url: URL, options: ConnectOptions): Promise<Connection> {
    const scheme = url.protocol.slice(0, -1);
    const host = hostOf(url);
    const remote = formatAddress({ scheme, host, port: portOf(url), path: url.pathname });
    return connectStream(remote, options, () => {
      const ws = new WebSocket(url, {
        maxPayload: WS_MESSAGE_BYTES,
        perMessageDeflate: false,
        ...(scheme === "wss" ? clientTlsOptions(options, host) : {}),
      });
      // The stream must exist before the first message: the server's hello may arrive in the
      // same turn as "open", and ws drops messages nobody listens to.
      const stream = createWebSocketStream(ws);
      stream.on("error", () => {}); // reported through the ws "error" event or the connection
      return {
        emitter: ws,
        ready: "open",
        stream: () => stream,
        local: () => {
          // ws keeps its socket private; the local address is only for logs.
          const sock = (
            ws as unknown as { _socket?: { localAddress?: string; localPort?: number } }
          )._socket;
          const h = (sock?.localAddress ?? "?").replace(/^::ffff:/, "");
          return formatAddress({ scheme, host: h, port: sock?.localPort ?? 0, path: "" });
        },
        writeMode: WRITE_MODE,
        destroy: () => ws.terminate(),
      };
    });
  },
};
