// The client library's public surface: what schedulers, controllers and the node agent import.
// Test doubles (FakeClock, FakeTransport) live in testing.ts.

export { ApiClient, ResourceClient, listAllPages } from './client.ts';
export type { DeleteOptions, GetOptions, ListMeta, ListOptions, ObjectList, PageRequest, PatchOptions, PatchType, WatchEvent, WatchEventType, WatchOptions, WriteOptions } from './client.ts';
export { apiErrorFrom, isAbort, isAlreadyExists, isConflict, isExpired, isNotFound, isStatus, statusToApiError } from './errors.ts';
export type { Status } from './errors.ts';
export { resourcePath } from './paths.ts';
export type { ResourcePathParts } from './paths.ts';

export type { Transport, TransportRequest, TransportResponse, TransportStream } from './transport.ts';
export { HttpsTransport } from './https-transport.ts';
export type { HttpsTransportOptions } from './https-transport.ts';
export { InProcessTransport } from './inprocess-transport.ts';
export type { ApiHandler, InProcessTransportOptions, InProcessUser } from './inprocess-transport.ts';
export { loadKubeconfig, parseKubeconfig } from './kubeconfig.ts';
export type { ConnectionConfig } from './kubeconfig.ts';

export { Lister, Store, NAMESPACE_INDEX, deepFreeze, metaNamespaceKey, splitKey } from './cache.ts';
export type { IndexFunc, ReplaceResult } from './cache.ts';
export { Reflector, listWatchFor } from './reflector.ts';
export type { ListerWatcher, ReflectorSink, ReflectorOptions } from './reflector.ts';
export { SharedInformer } from './informer.ts';
export type { EventHandlers, SharedInformerOptions, SyncedInformer } from './informer.ts';
export { SharedInformerFactory } from './factory.ts';
export type { InformerFactoryOptions, InformerScope } from './factory.ts';

export { WorkQueue } from './workqueue.ts';
export type { WorkQueueOptions } from './workqueue.ts';
export { BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter, defaultControllerRateLimiter } from './ratelimit.ts';
export type { RateLimiter } from './ratelimit.ts';
export { Controller } from './runner.ts';
export type { ControllerOptions, EventSource, Reconcile, ReconcileResult, Source } from './runner.ts';

export { LeaderElector } from './leaderelection.ts';
export type { LeaderElectionOptions, LeaseSpec } from './leaderelection.ts';
export { EventRecorder, referenceOf } from './events.ts';
export type { EventRecorderOptions, EventType, ObjectReference } from './events.ts';

export { Backoff } from './backoff.ts';
export type { BackoffOptions } from './backoff.ts';
export { deadlineSignal, delay, realClock, rfc3339, rfc3339Micro } from './clock.ts';
export type { Clock, TimerHandle } from './clock.ts';
