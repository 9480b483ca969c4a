/**
 * Barn's public API. See README.md and docs/ for the guide.
 */
export { asCompleted, type WaitResult, wait } from "./client/as-completed.js";
export {
  Client,
  type GatherOptions,
  type MapIterables,
  type ScatterOptions,
  type TaskArgs,
  type TaskSubmitter,
} from "./client/client.js";
export {
  type ComputeOptions,
  compute,
  Delayed,
  type DelayedArgs,
  type DelayedFunction,
  type DelayedOptions,
  delayed,
} from "./client/delayed.js";
export { Future, isFuture } from "./client/future.js";
export type { FutureStatus } from "./client/key-record.js";
export { KubeCluster, type KubeClusterOptions } from "./client/kube-cluster.js";
export { LocalCluster, type LocalClusterOptions } from "./client/local-cluster.js";
export type { ConnectOptions, TaskOptions } from "./client/options.js";
export {
  type PerformanceReportOptions,
  performanceReport,
} from "./client/performance-report.js";
export type { ProfileOptions, ProfileResult } from "./client/profile.js";
export { type ProgressOptions, type ProgressStream, progress } from "./client/progress.js";
export { SSHCluster, type SSHClusterOptions, type SSHHost } from "./client/ssh-cluster.js";
export type { Gathered } from "./client/walk.js";
export type {
  Adaptive,
  AdaptOptions,
  ClusterManager,
  ClusterWorker,
} from "./deploy/cluster-manager.js";
export type { TopFunction } from "./diagnostics/call-tree.js";
export {
  CHANNEL_NAMES as diagnosticsChannels,
  type ProfileEvent,
  type SchedulerBatchEvent,
  type TaskErredEvent,
  type TaskFinishedEvent,
  type TasksFinishedEvent,
  type TransferEvent,
  type WorkerEvent,
  type WorkerSampleEvent,
} from "./diagnostics/channels.js";
export {
  BarnError,
  CancelledError,
  type ErrorCode,
  ErrorCodes,
  type ErrorData,
  GraphError,
  KilledWorkerError,
  OptionError,
  ShippingError,
  TaskError,
} from "./errors.js";
export {
  type AliasNode,
  alias,
  type DataNode,
  data,
  type FusedNode,
  type Graph,
  type GraphNode,
  type Key,
  ref,
  type TaskNode,
  TaskRef,
  task,
} from "./graph/spec.js";
export type { WorkerMemory } from "./protocol/memory.js";
export type {
  CallTree,
  GroupProfile,
  ProfileOption,
  ProfileSettings,
} from "./protocol/profile.js";
export type { Resources, SchedulerConfig } from "./scheduler/protocol.js";
export { tasks } from "./shipping/modules.js";
