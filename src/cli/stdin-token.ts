/**
 * `--token-stdin`: the token is the first line of stdin. Cluster managers that start `barn`
 * over SSH send it down the channel this way, so it never appears on a command line (where
 * `ps` shows it to every user) nor in sshd's accepted environment. The rest of stdin stays
 * open as the `--exit-with-parent` lifeline.
 */
export function readTokenLine(timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const t = setTimeout(
      () => finish(new Error(`no token on stdin within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      buf += chunk.toString("utf8");
      const nl = buf.indexOf("\n");
      if (nl >= 0) finish(undefined, buf.slice(0, nl).trim());
    };
    const onEnd = () => finish(new Error("stdin closed before a token line arrived"));
    const finish = (err?: Error, token?: string) => {
      clearTimeout(t);
      process.stdin.off("data", onData);
      process.stdin.off("end", onEnd);
      if (err !== undefined) reject(err);
      else if (!token) reject(new Error("the token line on stdin is empty"));
      else resolve(token);
    };
    process.stdin.on("data", onData);
    process.stdin.on("end", onEnd);
    process.stdin.resume();
  });
}
