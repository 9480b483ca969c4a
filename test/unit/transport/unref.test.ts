/**
 * ListenOptions.unref: a listener, and the connections it accepted, that do not keep their
 * process alive (the scheduler `Client.connect({ processes: true })` embeds in a script). A child
 * process listens, accepts one connection from this one, and must then exit on its own while
 * that connection is still open.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { connect } from "../../../src/transport/index.js";
import type { Connection } from "../../../src/transport/types.js";
import { clientHello, serverTls, testCerts } from "./helpers.js";

const certs = testCerts();

const CHILD = `
import { listen } from ${JSON.stringify(
  pathToFileURL(join(process.cwd(), "dist", "src", "transport", "index.js")).href,
)};
const [address, tls] = JSON.parse(process.argv[1]);
// Held until the connection arrives; after that, only the listener and the connection remain.
const hold = setInterval(() => {}, 1000);
const l = await listen(address, {
  hello: { role: "scheduler", name: "s" },
  unref: true,
  ...tls,
  onConnection: () => { clearInterval(hold); console.log("accepted"); },
});
console.log("address", l.address);
`;

const schemes = [
  { name: "tcp", address: "tcp://127.0.0.1:0", tls: {}, connect: {} },
  { name: "ws", address: "ws://127.0.0.1:0", tls: {}, connect: {} },
  ...(certs
    ? [
        {
          name: "tls",
          address: "tls://127.0.0.1:0",
          tls: serverTls(certs),
          connect: { tls: { ca: certs.ca } },
        },
      ]
    : []),
];

describe("ListenOptions.unref", { timeout: 60_000 }, () => {
  for (const s of schemes) {
    test(`${s.name}: the process exits with its listener and an accepted connection open`, {
      timeout: 20_000,
    }, async () => {
      const child = spawn(
        process.execPath,
        ["--input-type=module", "-e", CHILD, JSON.stringify([s.address, s.tls])],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let out = "";
      let err = "";
      child.stderr.on("data", (d: Buffer) => (err += d));
      const exited = new Promise<number | string>((resolve) => {
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.on("exit", (code, signal) => {
          clearTimeout(timer);
          resolve(code ?? signal ?? -1);
        });
      });
      const address = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          out += d;
          const m = /address (\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on("exit", () => reject(new Error(`child exited before listening: ${err}`)));
      });
      let conn: Connection | undefined;
      try {
        conn = await connect(address, { hello: clientHello, ...s.connect });
        assert.equal(await exited, 0, `exit code (SIGKILL means the listener held it): ${err}`);
        assert.match(out, /accepted/);
      } finally {
        conn?.close();
        child.kill("SIGKILL");
      }
    });
  }
});
