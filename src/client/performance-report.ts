/**
 * `performanceReport(file, fn)`: records what the cluster does while `fn` runs (the
 * diagnostics channels, through the dashboard's Recorder) and writes one self-contained HTML
 * file, Dask's `performance_report`. Needs a scheduler in this process (threads or local
 * processes), the one of `options.client` or the current client.
 */
import { writeFile } from "node:fs/promises";
import { Recorder } from "../dashboard/recorder.js";
import { reportData, reportHtml } from "../dashboard/report-html.js";
import { LocalBackend } from "../deploy/local-backend.js";
import { OptionError } from "../errors.js";
import { type ProfileOption, profileSettings } from "../protocol/profile.js";
import { Client } from "./client.js";

export interface PerformanceReportOptions {
  /** The client whose cluster is recorded. Default: the current client. */
  readonly client?: Client | undefined;
  /** The page's title. Default "Barn performance report". */
  readonly title?: string | undefined;
  /**
   * Profile the workers' task threads meanwhile (a flame graph per task group in the report),
   * as Dask's report does: true (the default: every 10 ms unless the cluster already profiles
   * with its own settings), false, or `{ intervalUs, periodMs }`.
   */
  readonly profile?: ProfileOption | undefined;
}

/** Runs `fn`, writes the report of what ran meanwhile to `file`, and returns fn's result. */
export async function performanceReport<T>(
  file: string,
  fn: () => Promise<T> | T,
  options: PerformanceReportOptions = {},
): Promise<T> {
  if (typeof file !== "string" || file === "") {
    throw new OptionError(`performanceReport(file, fn): file must be a path, got ${String(file)}`);
  }
  if (typeof fn !== "function") {
    throw new OptionError("performanceReport(file, fn): fn must be a function that runs the work");
  }
  const client = options.client ?? Client.current();
  const backend = client?.backend;
  if (!(backend instanceof LocalBackend)) {
    throw new OptionError(
      `performanceReport records a scheduler in this process: connect with Client.connect() or Client.connect({ processes: true }) first${client === undefined ? "" : ` (this client's scheduler is ${client.scheduler})`}`,
    );
  }
  const wanted = profileSettings("profile", options.profile ?? true);
  const server = backend.server;
  const before = server.profiling;
  const recorder = new Recorder(server.id, { tasks: 1_000_000 });
  recorder.start();
  if (wanted !== null && (before === null || options.profile !== undefined)) {
    server.setProfiling(wanted);
  }
  try {
    return await fn();
  } finally {
    // Turning the profiler off (or back to what it was) sends each worker's last period.
    if (server.profiling !== before) {
      server.setProfiling(before);
      await new Promise((r) => setTimeout(r, 200));
    }
    // Reports of the last tasks may still be on their way; results the caller awaited are in.
    recorder.stop();
    const title = options.title ?? "Barn performance report";
    await writeFile(file, reportHtml(reportData(recorder, title, Date.now())));
  }
}
