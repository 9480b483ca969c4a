/** tcp:// over node:net: Nagle off (messages are already batched per turn), keepalive on. */
import { createServer, connect as netConnect, type Socket } from "node:net";
import { formatAddress, hostOf, portOf } from "./address.js";
import { Admission } from "./admission.js";
import { checkBind } from "./bind-policy.js";
import { acceptStream, connectStream, listenerOf } from "./stream-transport.js";
import type { Connection, ConnectOptions, Listener, ListenOptions, Transport } from "./types.js";

/** Keepalive probes start after this much idle time, so dead peers are noticed. */
const KEEPALIVE_MS = 30_000;

/** Plain TCP. */
export const tcpTransport: Transport = {
  schemes: ["tcp"],
  async listen(url: URL, options: ListenOptions): Promise<Listener> {
    const host = hostOf(url);
    checkBind(host, "tcp", options);
    const admission = new Admission("tcp", options);
    const server = createServer((socket) => {
      if (socket.destroyed) return; // dropped by admission
      tune(socket);
      const remote = socketAddress("tcp", socket, "remote");
      const local = socketAddress("tcp", socket, "local");
      acceptStream({ stream: socket, socket, remote, local }, options, admission);
    });
    return listenerOf(server, admission, options.unref, "tcp", host, portOf(url));
  },
  connect(url: URL, options: ConnectOptions): Promise<Connection> {
    const remote = formatAddress({ scheme: "tcp", host: hostOf(url), port: portOf(url), path: "" });
    return connectStream(remote, options, () => {
      const socket = netConnect({ host: hostOf(url), port: portOf(url) });
      tune(socket);
      return {
        emitter: socket,
        ready: "connect",
        stream: () => socket,
        local: () => socketAddress("tcp", socket, "local"),
        destroy: () => socket.destroy(),
      };
    });
  },
};

function tune(socket: Socket): void {
  socket.setNoDelay(true);
  socket.setKeepAlive(true, KEEPALIVE_MS);
}

/** "scheme://host:port" of one end of a socket. */
export function socketAddress(scheme: string, socket: Socket, end: "local" | "remote"): string {
  const host = (end === "local" ? socket.localAddress : socket.remoteAddress) ?? "?";
  const port = (end === "local" ? socket.localPort : socket.remotePort) ?? 0;
  return formatAddress({ scheme, host: host.replace(/^::ffff:/, ""), port, path: "" });
}
