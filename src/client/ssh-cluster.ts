/**
 * SSHCluster (after Dask's `SSHCluster`): the scheduler on the first host, workers on the
 * others (round robin; a host may be listed twice to run the scheduler and workers), each a
 * `barn` process started over SSH with the node binary and working directory of its host. A
 * fresh random token goes to each process as the first line of its stdin over the SSH
 * channel, never on a command line; closing the channel (close(), a lost connection) ends the
 * process. A host that cannot be reached is skipped when starting a worker, and named in the
 * error when no host is left.
 */
import { randomBytes } from "node:crypto";
import type { WorkerLauncher } from "../deploy/launcher.js";
import type { LogBuffer } from "../deploy/log-buffer.js";
import { ManagedCluster, type ManagedParts } from "../deploy/managed-cluster.js";
import { SSHConnection, type SSHHostOptions, shellQuote } from "../deploy/ssh-connection.js";
import { BarnError, ErrorCodes, OptionError } from "../errors.js";
import { RemoteControl } from "./remote-control.js";

/** Where and how barn runs on one host. */
export interface SSHHost extends SSHHostOptions {
  /** The node binary there. Default "node". */
  readonly node?: string | undefined;
  /** barn's CLI there. Default "node_modules/barn/dist/src/cli/main.js" (relative to cwd). */
  readonly cli?: string | undefined;
  /** Working directory there (task modules resolve from it). Default: the login directory. */
  readonly cwd?: string | undefined;
}

export interface SSHClusterOptions {
  /** The scheduler's host first, then the workers' hosts. Names, or objects with per-host settings. */
  readonly hosts: readonly (string | SSHHost)[];
  /** Settings every host shares (user, key or agent, port, node, cli, cwd); a host's own win. */
  readonly ssh?: Omit<SSHHost, "host"> | undefined;
  /** Workers to start. Default: one per worker host. */
  readonly workers?: number | undefined;
  readonly threadsPerWorker?: number | undefined;
  /** Heap limit of each worker's task thread, e.g. "4GiB". */
  readonly memoryLimit?: string | number | undefined;
  /** The scheduler's port. Default 8786. */
  readonly schedulerPort?: number | undefined;
  /**
   * TLS between everyone: files that exist on every host (passed as --tls-*), and the PEM text
   * this process uses to reach the scheduler. Without it: tcp with the token.
   */
  readonly tls?:
    | {
        readonly certFile: string;
        readonly keyFile: string;
        readonly caFile: string;
        readonly ca: string;
        readonly cert?: string | undefined;
        readonly key?: string | undefined;
      }
    | undefined;
  /** How long a worker may take to register, ms. Default 60 s. */
  readonly startTimeoutMs?: number | undefined;
}

export class SSHCluster extends ManagedCluster {
  constructor(options: SSHClusterOptions) {
    const hosts = validate(options);
    super((logs) => startSSH(options, hosts, logs), {
      workers: options.workers ?? Math.max(1, hosts.length - 1),
      namePrefix: "ssh",
      startTimeoutMs: options.startTimeoutMs,
    });
  }

  static async start(options: SSHClusterOptions): Promise<SSHCluster> {
    const c = new SSHCluster(options);
    try {
      return await c.ready();
    } catch (err) {
      await c.close();
      throw err;
    }
  }
}

function validate(o: SSHClusterOptions): SSHHost[] {
  if (typeof o !== "object" || o === null || !Array.isArray(o.hosts) || o.hosts.length < 2) {
    throw new OptionError(
      "SSHCluster needs hosts: [schedulerHost, workerHost, ...] (at least two entries; list a host twice to run the scheduler and a worker there)",
    );
  }
  const hosts = o.hosts.map((h) => ({ ...o.ssh, ...(typeof h === "string" ? { host: h } : h) }));
  for (const h of hosts) {
    if (typeof h.host !== "string" || h.host === "") {
      throw new OptionError(`every SSHCluster host needs a name; got ${JSON.stringify(h.host)}`);
    }
  }
  for (const k of ["workers", "threadsPerWorker"] as const) {
    const v = o[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) {
      throw new OptionError(`SSHCluster ${k} must be a whole number; got ${JSON.stringify(v)}`);
    }
  }
  return hosts;
}

/** The remote command: cd to the host's directory and exec barn, so the channel owns it. */
function barnCommand(h: SSHHost, args: readonly string[]): string {
  const argv = [h.node ?? "node", h.cli ?? "node_modules/barn/dist/src/cli/main.js", ...args];
  const run = `exec ${argv.map(shellQuote).join(" ")}`;
  return h.cwd === undefined ? run : `cd ${shellQuote(h.cwd)} && ${run}`;
}

function tlsArgs(o: SSHClusterOptions): string[] {
  const t = o.tls;
  return t === undefined
    ? []
    : ["--tls-cert", t.certFile, "--tls-key", t.keyFile, "--tls-ca", t.caFile];
}

async function startSSH(
  o: SSHClusterOptions,
  hosts: readonly SSHHost[],
  logs: LogBuffer,
): Promise<ManagedParts> {
  const token = randomBytes(24).toString("hex");
  const first = hosts[0]!;
  const conns = new Connections(logs);
  const sched = await conns.get(first);
  const port = o.schedulerPort ?? 8786;
  const args = ["scheduler", "--host", first.host, "--port", String(port)];
  args.push("--protocol", o.tls ? "tls" : "tcp", ...tlsArgs(o));
  args.push("--token-stdin", "--exit-with-parent", "--log-level", "info");
  let output = "";
  let announce: (address: string) => void = () => {};
  const announced = new Promise<string>((r) => {
    announce = r;
  });
  const proc = await sched.exec(barnCommand(first, args), token, (text) => {
    logs.add("scheduler", text);
    output += text;
    const m = /"msg":"scheduler listening"[^\n]*"address":"([^"]+)"/.exec(output);
    if (m) announce(m[1]!);
  });
  const timeout = o.startTimeoutMs ?? 60_000;
  const address = await Promise.race([
    announced,
    proc.exited.then((code) => {
      throw new BarnError(
        ErrorCodes.CONNECT_FAILED,
        `the scheduler on ${first.host} exited (code ${code}) before listening; its output:\n${logs.tail("scheduler")}`,
      );
    }),
    sleep(timeout).then(() => {
      throw new BarnError(
        ErrorCodes.TIMEOUT,
        `the scheduler on ${first.host} did not listen within ${timeout} ms; its output:\n${logs.tail("scheduler")}`,
      );
    }),
  ]).catch(async (err) => {
    await proc.stop();
    conns.closeAll();
    throw err;
  });
  const tls = o.tls === undefined ? undefined : { ca: o.tls.ca, cert: o.tls.cert, key: o.tls.key };
  const control = await RemoteControl.connect(address, { token, tls });
  const workerHosts = hosts.slice(1);
  let next = 0;
  const launcher: WorkerLauncher = {
    launch: async (name) => {
      const wargs = [
        "worker",
        address,
        "--name",
        name,
        "--nthreads",
        String(o.threadsPerWorker ?? 1),
      ];
      if (o.memoryLimit !== undefined) wargs.push("--memory-limit", String(o.memoryLimit));
      wargs.push(...tlsArgs(o), "--token-stdin", "--exit-with-parent", "--death-timeout", "30");
      // Round robin from where the last one went; a host that cannot be reached is skipped.
      const errors: string[] = [];
      for (let i = 0; i < workerHosts.length; i++) {
        const h = workerHosts[(next + i) % workerHosts.length]!;
        let conn: SSHConnection;
        try {
          conn = await conns.get(h);
        } catch (err) {
          errors.push((err as Error).message);
          logs.add("manager", `skipping ${h.host} for ${name}: ${(err as Error).message}`);
          continue;
        }
        next = (next + i + 1) % workerHosts.length;
        const p = await conn.exec(barnCommand(h, wargs), token, (text) => logs.add(name, text));
        return { name, host: h.host, exited: p.exited, stop: p.stop };
      }
      throw new BarnError(
        ErrorCodes.CONNECT_FAILED,
        `could not start worker ${name}: no worker host could be reached:\n${errors.join("\n")}`,
      );
    },
    close: async () => conns.closeAll(),
  };
  return {
    schedulerAddress: address,
    control,
    launcher,
    clientBackend: () => control.clientBackend(),
    closeScheduler: async () => {
      await control.close();
      await proc.stop();
      conns.closeAll();
    },
  };
}

/** One SSH connection per host, opened on first use and again after it dropped. */
class Connections {
  readonly #open = new Map<string, Promise<SSHConnection>>();
  readonly #logs: LogBuffer;

  constructor(logs: LogBuffer) {
    this.#logs = logs;
  }

  get(h: SSHHost): Promise<SSHConnection> {
    const key = `${h.username ?? ""}@${h.host}:${h.port ?? 22}`;
    let p = this.#open.get(key);
    if (p === undefined) {
      p = SSHConnection.connect(h);
      this.#open.set(key, p);
      p.then(
        (c) =>
          c.onClose(() => {
            this.#logs.add("manager", `ssh connection to ${h.host} closed`);
            if (this.#open.get(key) === p) this.#open.delete(key);
          }),
        () => this.#open.delete(key),
      );
    }
    return p;
  }

  closeAll(): void {
    for (const p of this.#open.values())
      p.then(
        (c) => c.close(),
        () => {},
      );
    this.#open.clear();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
