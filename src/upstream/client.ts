/**
 * The one HTTP client every Elastic Path call goes through: the policy around each call. Sending
 * one attempt (the keep-alive pool, timeouts, the capped body, safe JSON) is `./transport.ts`;
 * only the caller's Elastic Path credentials are forwarded, as headers built here.
 *
 * Each call, from the outside in:
 * 1. retries (`send`): full-jitter backoff, up to EP_API_MAX_ATTEMPTS, each retry taken from the
 *    retry budget and none past the operation's deadline; a write that was written to a socket
 *    and never answered (lost, timed out, or cut off by the operation ending) is marked
 *    `UnansweredWriteError` with the moment it was written, never sent again;
 * 2. admission of each attempt (`attempt`): the bounded queue (refused at once when
 *    EP_API_QUEUE_LIMIT calls already wait), the circuit breaker (fail fast while Elastic Path is
 *    down), then a slot of the outbound limiter (EP_API_CONNECTIONS in flight);
 * 3. the quota (`startWithinRate`, `./quota/quota.ts`: EP_API_MAX_RPS started in any sliding
 *    second, per process or with REDIS_URL fleet-wide; bulk work within its share; a pause after
 *    a 429; RATE_LIMITED at once when the wait would pass the deadline), then the observer around
 *    the attempt as it goes on the wire (a 429 answer pauses the quota);
 * 4. the transport: one attempt, whose outcome the breaker records and the retries decide on. Each
 *    answer's `Date` header feeds the clock offset to Elastic Path (`./clock.ts`).
 */
import type { Config } from '../config.js';
import { UnansweredWriteError, breakerOpen, deadlineError, queueFull } from '../domain/errors.js';
import { CircuitBreaker, type BreakerOutcome, type BreakerState } from './breaker.js';
import { UpstreamClock, type OffsetRange } from './clock.js';
import { delay } from './delay.js';
import { Limiter } from './limiter.js';
import { createQuota, type Quota, type QuotaStats } from './quota/quota.js';
import { RetryBudget } from './retry-budget.js';
import { createTransport, settle, type Attempt, type UpstreamResponse, type WireRequest } from './transport.js';

/** The settings the client owns, passed straight through from `Config`. */
export type UpstreamSettings = Pick<
  Config,
  | 'epApiBaseUrl'
  | 'epApiTimeoutMs'
  | 'epApiConnections'
  | 'epApiMaxRps'
  | 'epApiBulkShare'
  | 'redisUrl'
  | 'redisTimeoutMs'
  | 'epFleetSize'
  | 'epApiQueueLimit'
  | 'epApiMaxAttempts'
  | 'epApiRetryBaseMs'
  | 'epApiRetryBudgetPercent'
  | 'epApiBreakerFailurePercent'
  | 'epApiBreakerMinCalls'
  | 'epApiBreakerWindowMs'
  | 'epApiBreakerCooldownMs'
  | 'epApiMaxResponseBytes'
>;

/** Counts one operation's upstream work, for its access-log line, metrics and cost. */
export interface CallMeter {
  /** Calls made (each may take several attempts). */
  calls: number;
  /** Attempts sent after the first. */
  retries: number;
  /** Bulk work, metered within EP_API_BULK_SHARE (see `plugins/use-bulk-classification.ts`). */
  bulk?: boolean;
  /** Whatever the observer needs to place the operation's calls (its span). */
  trace?: unknown;
}

/**
 * Watches every attempt, for metrics and traces. `attempt` is called as an attempt is sent (it may
 * add headers, such as `traceparent`), and the function it returns when the attempt ends: with
 * the HTTP status, or with the kind of transport failure.
 */
export interface UpstreamObserver {
  attempt(
    request: UpstreamRequest,
    resendCount: number,
    headers: Record<string, string>,
  ): (status: number | undefined, failure?: string) => void;
  /** The call was held or turned away before it was sent. */
  event(request: UpstreamRequest, name: UpstreamEvent): void;
}

export type UpstreamEvent = 'breaker_open' | 'queue_full' | 'queued';

/** The caller's own Elastic Path credentials: the only headers that travel upstream from a caller. */
export interface CallerCredentials {
  /** The whole `Authorization` header value, `Bearer …`, forwarded verbatim. */
  authorization: string;
  /** `EP-Account-Management-Authentication-Token`, when the caller sent one. */
  accountManagementToken?: string;
}

/** A call as the typed methods make it; `signal` is the operation's, so no backoff outlives it either. */
export interface UpstreamRequest extends WireRequest {
  /** The path's template, ids as `{names}`: what metrics and spans show, never an id. */
  route: string;
  body?: unknown;
  /** The operation's counters. */
  meter?: CallMeter;
  /** Bulk work whatever its operation: a subscription's reads, which no caller waits on. */
  bulk?: boolean;
}

export interface UpstreamStats {
  /** Calls made by resolvers (each may take several attempts). */
  calls: number;
  /** Attempts sent after the first, across all calls. */
  retries: number;
  /** 'closed' (normal), 'open' (failing fast) or 'half-open' (ready to probe, or probing). */
  breaker: BreakerState;
  /** Calls holding a connection slot now. */
  inFlight: number;
  /** Calls waiting for a slot. */
  queued: number;
  /** The rate quota: shared through Redis or local, and the replicas seen. */
  quota: QuotaStats;
}

export interface UpstreamClient {
  /**
   * Resolves with 2xx answers; throws `UpstreamStatusError` for others and `GraphQLError` for
   * transport failures: an `UnansweredWriteError` when a POST or DELETE left but its answer never came.
   */
  send(credentials: CallerCredentials, request: UpstreamRequest): Promise<UpstreamResponse>;
  /** Elastic Path's clock minus ours, as its recent answers' `Date` headers bound it; undefined before any. */
  clockOffset(): OffsetRange | undefined;
  /** True when a call made now would find a connection slot free, without waiting in the queue. */
  hasFreeSlot(): boolean;
  stats(): UpstreamStats;
  close(): Promise<void>;
}

const RETRY_MAX_DELAY_MS = 2_000;

/**
 * `quota` meters starts (built by the gateway, with its logger and metrics); without one the
 * client builds its own from `settings`.
 */
export function createUpstreamClient(settings: UpstreamSettings, observer?: UpstreamObserver, quota?: Quota): UpstreamClient {
  const maxAttempts = settings.epApiMaxAttempts;
  const retryBaseMs = settings.epApiRetryBaseMs;
  const timeoutMs = settings.epApiTimeoutMs;
  const queueLimit = settings.epApiQueueLimit;

  const clock = new UpstreamClock();
  const transport = createTransport(settings, (sample) => clock.record(sample));
  const limiter = new Limiter(settings.epApiConnections);
  const rate = quota ?? createQuota(settings);
  const budget = new RetryBudget(settings.epApiRetryBudgetPercent);
  const breaker = new CircuitBreaker({
    failurePercent: settings.epApiBreakerFailurePercent,
    minCalls: settings.epApiBreakerMinCalls,
    windowMs: settings.epApiBreakerWindowMs,
    cooldownMs: settings.epApiBreakerCooldownMs,
  });
  let calls = 0;
  let retries = 0;

  async function attempt(request: UpstreamRequest, headers: Record<string, string>, resendCount: number, body?: string): Promise<Attempt> {
    if (request.signal?.aborted) return { kind: 'refused', error: deadlineError(request.signal, timeoutMs) };
    // A queue limit of 0 means "never wait": a call still runs when a slot is free.
    const mustWait = limiter.full;
    if (mustWait && limiter.queued >= queueLimit) {
      observer?.event(request, 'queue_full');
      return { kind: 'refused', error: queueFull() };
    }
    const admission = breaker.admit();
    if (!admission) {
      observer?.event(request, 'breaker_open');
      return { kind: 'refused', error: breakerOpen() };
    }
    if (mustWait) observer?.event(request, 'queued');
    const granted = limiter.acquire(request.signal);
    // The operation ended (or the client closed) while the call waited for a slot.
    if (!(granted === true || (await granted))) {
      breaker.record(admission, 'void');
      return { kind: 'refused', error: deadlineError(request.signal, timeoutMs) };
    }
    let outcome: Attempt;
    try {
      outcome = await startWithinRate(request, headers, resendCount, body);
    } catch (error) {
      breaker.record(admission, 'void');
      throw error;
    } finally {
      limiter.release();
    }
    breaker.record(admission, verdict(outcome));
    // The store is over its limit (possibly because of the storefront): every start pauses.
    if (outcome.kind === 'answer' && outcome.status === 429) rate.tooMany();
    return outcome;
  }

  async function startWithinRate(
    request: UpstreamRequest,
    headers: Record<string, string>,
    resendCount: number,
    body?: string,
  ): Promise<Attempt> {
    const refused = await rate.take(
      request.bulk || request.meter?.bulk ? 'bulk' : 'interactive',
      headers.authorization ?? '',
      request.signal,
    );
    if (refused) return { kind: 'refused', error: refused };
    if (!observer) return transport.send(request, headers, body);
    const finish = observer.attempt(request, resendCount, headers);
    const outcome = await transport.send(request, headers, body);
    if (outcome.kind === 'answer') finish(outcome.status);
    else finish(undefined, outcome.kind);
    return outcome;
  }

  async function send(credentials: CallerCredentials, request: UpstreamRequest): Promise<UpstreamResponse> {
    calls += 1;
    if (request.meter) request.meter.calls += 1;
    budget.recordCall();
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: credentials.authorization,
    };
    if (credentials.accountManagementToken) {
      headers['ep-account-management-authentication-token'] = credentials.accountManagementToken;
    }
    let body: string | undefined;
    if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['content-type'] = 'application/json';
    }

    for (let attemptNumber = 1; ; attemptNumber += 1) {
      const outcome = await attempt(request, headers, attemptNumber - 1, body);
      if (
        attemptNumber < maxAttempts &&
        isRetryable(outcome, request.method) &&
        budget.tryRetry() &&
        (await delay(backoff(attemptNumber, retryBaseMs), request.signal))
      ) {
        retries += 1;
        if (request.meter) request.meter.retries += 1;
        continue;
      }
      // A write that left but was never answered may have been applied: say so to whoever sent it.
      if (request.method !== 'GET' && outcome.kind !== 'answer' && outcome.sentAt !== undefined) {
        throw new UnansweredWriteError(unansweredBecause(outcome, request.signal, timeoutMs), outcome.sentAt);
      }
      return settle(outcome);
    }
  }

  return {
    send,
    clockOffset: () => clock.offset(),
    hasFreeSlot: () => !limiter.full,
    stats: () => ({ calls, retries, breaker: breaker.state, inFlight: limiter.inFlight, queued: limiter.queued, quota: rate.stats() }),
    async close() {
      limiter.clear();
      await rate.close();
      await transport.close();
    },
  };
}

/** Why a write's answer never came, in words for the caller (never "try again": it may have been applied). */
function unansweredBecause(outcome: Attempt, signal: AbortSignal | undefined, timeoutMs: number): string {
  if (outcome.kind === 'timeout') return `no answer came within ${timeoutMs} ms`;
  if (outcome.kind === 'refused') {
    const reason: unknown = signal?.reason;
    return reason instanceof Error && reason.name === 'TimeoutError' ? 'the operation ran out of time' : 'the caller went away';
  }
  return 'the connection closed before the answer came';
}

/** Only connection failures, timeouts and 502/503/504 say Elastic Path itself is unwell. */
function verdict(outcome: Attempt): BreakerOutcome {
  switch (outcome.kind) {
    case 'answer':
      return outcome.status === 502 || outcome.status === 503 || outcome.status === 504 ? 'unwell' : 'healthy';
    case 'refused':
      return 'void';
    default:
      return 'unwell';
  }
}

/**
 * Reads repeat on connection failures, 429 and 502/503/504. Writes repeat only when they provably
 * never reached Elastic Path (connection refused) or were refused with 429: a write that may have
 * been received is never sent twice.
 */
function isRetryable(outcome: Attempt, method: UpstreamRequest['method']): boolean {
  if (outcome.kind === 'unsent') return true;
  if (outcome.kind === 'answer') {
    if (outcome.status === 429) return true;
    return method === 'GET' && (outcome.status === 502 || outcome.status === 503 || outcome.status === 504);
  }
  return outcome.kind === 'lost' && method === 'GET';
}

/** Exponential backoff with full jitter: a random delay up to base × 2^(n-1), capped. */
function backoff(attemptNumber: number, baseMs: number): number {
  return Math.random() * Math.min(RETRY_MAX_DELAY_MS, baseMs * 2 ** (attemptNumber - 1));
}
