/**
 * `/metrics`: the scheduler in Prometheus' text format (version 0.0.4), for operators'
 * scrapers. Gauges from the scheduler's public queries, counters from its SchedulerCounters,
 * and the event-loop lag of the scheduler's thread (a slow scheduler delays every task).
 */
import type { IntervalHistogram } from "node:perf_hooks";
import type { SchedulerServer } from "../scheduler/server.js";
import type { Recorder } from "./recorder.js";

function esc(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export function prometheusText(
  server: SchedulerServer,
  recorder: Recorder,
  lag: IntervalHistogram,
): string {
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, rows: [string, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of rows) out.push(`${name}${labels} ${Number.isFinite(v) ? v : 0}`);
  };
  const counts = server.state.counts();
  metric(
    "barn_scheduler_tasks",
    "gauge",
    "Live tasks on the scheduler by state.",
    Object.entries(counts).map(([s, n]) => [`{state="${esc(s)}"}`, n]),
  );
  const workers = server.state.workers();
  metric("barn_scheduler_workers", "gauge", "Workers connected to the scheduler.", [
    ["", workers.length],
  ]);
  metric(
    "barn_scheduler_threads",
    "gauge",
    "Task threads over all workers (tasks that may run at once).",
    [["", workers.reduce((a, w) => a + w.nthreads, 0)]],
  );
  metric(
    "barn_worker_stored_bytes",
    "gauge",
    "Bytes of results a worker holds, as the scheduler knows them.",
    workers.map((w) => [`{worker="${esc(w.id)}"}`, w.nbytes]),
  );
  metric(
    "barn_worker_heap_bytes",
    "gauge",
    "JavaScript heap used by a worker's task thread (last sample; sampled while the dashboard is watched).",
    workers
      .map((w) => [w, recorder.samples.get(w.id)?.at(-1)] as const)
      .filter(([, s]) => s !== undefined)
      .map(([w, s]) => [`{worker="${esc(w.id)}"}`, s!.heap]),
  );
  const c = server.counters;
  metric("barn_tasks_finished_total", "counter", "Tasks that finished on a worker.", [
    ["", c.tasksFinished],
  ]);
  metric("barn_tasks_erred_total", "counter", "Task attempts that raised.", [["", c.tasksErred]]);
  metric("barn_task_result_bytes_total", "counter", "Bytes of task results produced.", [
    ["", c.resultBytes],
  ]);
  metric("barn_transfers_total", "counter", "Batches of inputs fetched between workers.", [
    ["", c.transfers],
  ]);
  metric("barn_transfer_bytes_total", "counter", "Bytes fetched between workers.", [
    ["", c.transferBytes],
  ]);
  metric("barn_transfer_seconds_total", "counter", "Seconds spent in fetches between workers.", [
    ["", c.transferSeconds],
  ]);
  metric("barn_workers_added_total", "counter", "Workers that joined.", [["", c.workersAdded]]);
  metric("barn_workers_removed_total", "counter", "Workers that left or were lost.", [
    ["", c.workersRemoved],
  ]);
  metric("barn_scheduler_events_total", "counter", "Events handled by the scheduler.", [
    ["", c.events],
  ]);
  metric(
    "barn_event_loop_lag_seconds",
    "gauge",
    "Event-loop delay of the scheduler's thread since the last scrape.",
    [
      ['{quantile="0.5"}', lag.percentile(50) / 1e9],
      ['{quantile="0.99"}', lag.percentile(99) / 1e9],
      ['{quantile="1"}', lag.max / 1e9],
    ],
  );
  lag.reset();
  return `${out.join("\n")}\n`;
}
