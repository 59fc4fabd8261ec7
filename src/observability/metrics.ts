/**
 * Prometheus metrics (prom-client), one registry per gateway: operations and their durations,
 * GraphQL error codes, reconciled writes, every upstream attempt by method, route template and status, retries,
 * refusals, requests served by the HTTP fast path, the breaker's state, the limiter's in-flight calls and queue, the rate
 * quota (its waits, holds, refusals, 429 pauses, bulk and interactive starts, mode and replicas seen), and Node's standard
 * process metrics. Labels carry operation names (bounded) and route templates, never ids or tokens.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EndReason, ObservedChange, PublishOutcome } from '../events/bus.js';
import type { DeliveryOutcome } from '../events/webhook.js';
import type { UpstreamObserver, UpstreamStats } from '../upstream/client.js';
import type { QuotaObserver } from '../upstream/quota/quota.js';
import { operationLabel } from './names.js';
import type { OperationRecord, RequestSink } from './records.js';

export interface MetricsSettings {
  /**
   * Distinct operation names kept as labels; later ones are counted as `other`. Only operations
   * that parsed and validated are labelled by name: the rest are `invalid`, which, like
   * `anonymous`, takes no slot.
   */
  maxOperationNames: number;
}

export interface Metrics {
  registry: Registry;
  sink: RequestSink;
  upstream: Pick<UpstreamObserver, 'attempt' | 'event'>;
  quota: QuotaObserver;
  /** Counts a request served by the HTTP fast path (http/fast-path.ts). */
  fastPath(): void;
  /** Membership events: each change handed to the bus, webhook deliveries, subscriptions. */
  events: EventMetrics;
  /** The exposition text and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

export interface EventMetrics {
  /** A change handed to the bus, by source and type, and what became of it. */
  change(change: Pick<ObservedChange, 'type' | 'source'>, outcome: PublishOutcome): void;
  delivery(outcome: DeliveryOutcome): void;
  subscriptionEnded(reason: EndReason): void;
  /** Reads the subscriptions open now, when the metrics are scraped. */
  openSubscriptions(read: () => number): void;
  /** With REDIS_URL: reads whether the events' Redis connections are both up (1) or not (0). */
  sharedBus(read: () => number): void;
}

const BREAKER_STATES = { closed: 0, 'half-open': 1, open: 2 } as const;

export function createMetrics(settings: MetricsSettings, upstreamStats: () => UpstreamStats): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const operations = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations by name, type and outcome (success, or error when the result has errors).',
    labelNames: ['operation_name', 'operation_type', 'outcome'],
    registers,
  });
  const duration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'Time from the request arriving to its response being ready, per operation.',
    labelNames: ['operation_name', 'operation_type', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const upstreamCalls = new Histogram({
    name: 'graphql_operation_upstream_calls',
    help: 'Elastic Path calls each operation made (identical reads shared within a request count once).',
    labelNames: ['operation_name', 'operation_type'],
    buckets: [0, 1, 2, 5, 10, 25, 50, 100],
    registers,
  });
  const errors = new Counter({
    name: 'graphql_errors_total',
    help: 'Top-level GraphQL errors by extensions.code.',
    labelNames: ['code'],
    registers,
  });
  const reconciliations = new Counter({
    name: 'graphql_reconciliations_total',
    help: 'Writes whose answer was lost, looked up before answering, by what the lookup found: landed, existing, uncertain, absent or failed.',
    labelNames: ['outcome'],
    registers,
  });
  const fastPathRequests = new Counter({
    name: 'http_fast_path_requests_total',
    help: 'Requests served by the HTTP fast path (POST /graphql with a JSON body) rather than the full handler.',
    registers,
  });
  const upstreamRequests = new Counter({
    name: 'upstream_requests_total',
    help: 'Attempts sent to Elastic Path by method, route template and status (or timeout, unsent, lost).',
    labelNames: ['method', 'route', 'status'],
    registers,
  });
  const upstreamDuration = new Histogram({
    name: 'upstream_request_duration_seconds',
    help: 'Time of each attempt sent to Elastic Path, until its whole body was read.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const upstreamRetries = new Counter({
    name: 'upstream_retries_total',
    help: 'Attempts sent to Elastic Path after the first of their call.',
    labelNames: ['method', 'route'],
    registers,
  });
  const upstreamRefused = new Counter({
    name: 'upstream_refused_total',
    help: 'Calls the gateway did not send: breaker_open, queue_full; and calls that had to queue (queued).',
    labelNames: ['reason'],
    registers,
  });
  new Gauge({
    name: 'upstream_breaker_state',
    help: 'The upstream circuit breaker: 0 closed, 1 half-open, 2 open.',
    registers,
    collect() {
      this.set(BREAKER_STATES[upstreamStats().breaker]);
    },
  });
  new Gauge({
    name: 'upstream_in_flight',
    help: 'Calls to Elastic Path holding a connection slot.',
    registers,
    collect() {
      this.set(upstreamStats().inFlight);
    },
  });
  new Gauge({
    name: 'upstream_queued',
    help: 'Calls to Elastic Path waiting for a connection slot.',
    registers,
    collect() {
      this.set(upstreamStats().queued);
    },
  });

  const quotaWait = new Histogram({
    name: 'upstream_quota_wait_seconds',
    help: 'Time upstream attempts waited for the rate quota before starting, by kind (bulk, interactive); 0 for most.',
    labelNames: ['kind'],
    buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const quotaStarts = new Counter({
    name: 'upstream_quota_starts_total',
    help: 'Upstream attempts the rate quota let start, by kind: bulk work or interactive.',
    labelNames: ['kind'],
    registers,
  });
  const quotaHeld = new Counter({
    name: 'upstream_quota_held_total',
    help: 'Attempts that had to wait for the rate quota, by reason: rate (the window is full), bulk (the bulk share is), cooldown (a 429 pause).',
    labelNames: ['reason'],
    registers,
  });
  const quotaRefused = new Counter({
    name: 'upstream_quota_refused_total',
    help: 'Attempts refused with RATE_LIMITED because their wait for the quota would pass the deadline, by reason (rate, bulk, cooldown).',
    labelNames: ['reason'],
    registers,
  });
  const quotaCooldowns = new Counter({
    name: 'upstream_quota_cooldowns_total',
    help: 'Pauses this replica started after Elastic Path answered 429 (fleet-wide with Redis).',
    registers,
  });
  new Gauge({
    name: 'upstream_quota_mode',
    help: 'Where the rate quota is decided: 1 shared through Redis, 0 locally (no REDIS_URL, or Redis unavailable).',
    registers,
    collect() {
      this.set(upstreamStats().quota.mode === 'shared' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'upstream_quota_replicas',
    help: 'Replicas seen alive in Redis at the last announcement (1 without Redis); the local share divides by it.',
    registers,
    collect() {
      this.set(upstreamStats().quota.replicas);
    },
  });
  // Found once: every upstream attempt passes here.
  const quotaChildren = {
    bulk: { starts: quotaStarts.labels({ kind: 'bulk' }), wait: quotaWait.labels({ kind: 'bulk' }) },
    interactive: { starts: quotaStarts.labels({ kind: 'interactive' }), wait: quotaWait.labels({ kind: 'interactive' }) },
  };
  const eventChanges = new Counter({
    name: 'membership_events_total',
    help: 'Membership changes handed to the event bus by source (GATEWAY, ELASTIC_PATH), type, and outcome: published, duplicate (already announced), tombstoned (a create after its delete), unroutable (account unknown).',
    labelNames: ['source', 'type', 'outcome'],
    registers,
  });
  const deliveries = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Elastic Path webhook deliveries by outcome: published, duplicate, tombstoned, unroutable, ignored (an event type not used), unauthorized, malformed, unavailable (the event bus could not take it: 503).',
    labelNames: ['outcome'],
    registers,
  });
  const subscriptionsEnded = new Counter({
    name: 'graphql_subscriptions_ended_total',
    help: 'Subscriptions ended, by reason: client, slow (SLOW_SUBSCRIBER), unauthorized (token refused), closing (drain), error.',
    labelNames: ['reason'],
    registers,
  });
  let openSubscriptions = () => 0;
  new Gauge({
    name: 'graphql_subscriptions_open',
    help: 'Subscriptions this process serves now.',
    registers,
    collect() {
      this.set(openSubscriptions());
    },
  });

  // Each label set's series, found once: prom-client hashes the labels object on every call otherwise.
  // Bounded by the names kept, the routes and the statuses.
  const operationChildren = new Map<
    string,
    { count: Counter.Internal; duration: Histogram.Internal<string>; calls: Histogram.Internal<string> }
  >();
  const attemptChildren = new Map<string, { count: Counter.Internal; duration: Histogram.Internal<string> }>();

  const names = new Set<string>();
  const boundedName = ({ name, validated }: OperationRecord): string => {
    // A name from a document that never validated is whatever the caller sent: no lasting slot.
    if (!validated) return 'invalid';
    const label = operationLabel(name);
    // `anonymous` and `invalid` are fixed labels: they add no cardinality, so they take no slot.
    if (name === undefined || label === 'invalid' || names.has(label)) return label;
    if (names.size >= settings.maxOperationNames) return 'other';
    names.add(label);
    return label;
  };

  return {
    registry,
    sink(record) {
      const seconds = (performance.now() - record.startedAt) / 1000;
      for (const code of record.requestCodes) errors.inc({ code });
      for (const operation of record.operations) {
        const name = boundedName(operation);
        const type = operation.type ?? 'unknown';
        const outcome = operation.codes.length === 0 ? 'success' : 'error';
        const key = `${name} ${type} ${outcome}`;
        let children = operationChildren.get(key);
        if (!children) {
          const labels = { operation_name: name, operation_type: type, outcome };
          children = {
            count: operations.labels(labels),
            duration: duration.labels(labels),
            calls: upstreamCalls.labels({ operation_name: name, operation_type: type }),
          };
          operationChildren.set(key, children);
        }
        children.count.inc();
        children.duration.observe(seconds);
        children.calls.observe(operation.calls);
        for (const code of operation.codes) errors.inc({ code });
        for (const [outcome, count] of Object.entries(operation.reconciliations ?? {})) reconciliations.inc({ outcome }, count);
      }
    },
    upstream: {
      attempt(request, resendCount) {
        const started = performance.now();
        if (resendCount > 0) upstreamRetries.inc({ method: request.method, route: request.route });
        return (status, failure) => {
          const statusLabel = status === undefined ? (failure ?? 'error') : String(status);
          const key = `${request.method} ${request.route} ${statusLabel}`;
          let children = attemptChildren.get(key);
          if (!children) {
            const labels = { method: request.method, route: request.route, status: statusLabel };
            children = { count: upstreamRequests.labels(labels), duration: upstreamDuration.labels(labels) };
            attemptChildren.set(key, children);
          }
          children.count.inc();
          children.duration.observe((performance.now() - started) / 1000);
        };
      },
      event(_request, name) {
        upstreamRefused.inc({ reason: name });
      },
    },
    quota: {
      granted(kind, waitedMs) {
        quotaChildren[kind].starts.inc();
        quotaChildren[kind].wait.observe(waitedMs / 1000);
      },
      held(reason) {
        quotaHeld.inc({ reason });
      },
      refused(reason) {
        quotaRefused.inc({ reason });
      },
      cooledDown() {
        quotaCooldowns.inc();
      },
    },
    fastPath() {
      fastPathRequests.inc();
    },
    events: {
      change(change, outcome) {
        eventChanges.inc({ source: change.source, type: change.type, outcome });
      },
      delivery(outcome) {
        deliveries.inc({ outcome });
      },
      subscriptionEnded(reason) {
        subscriptionsEnded.inc({ reason });
      },
      openSubscriptions(read) {
        openSubscriptions = read;
      },
      sharedBus(read) {
        new Gauge({
          name: 'membership_events_redis_connected',
          help: 'Whether this replica publishes and hears membership events through Redis now (1), or cannot (0).',
          registers,
          collect() {
            this.set(read());
          },
        });
      },
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
