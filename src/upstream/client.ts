/**
 * The one HTTP client every Elastic Path call goes through: a keep-alive undici pool bound to the
 * configured origin, explicit timeouts, bodies always consumed (and capped), JSON parsed only when
 * the answer says it is JSON, and only the caller's Elastic Path credentials forwarded.
 *
 * Around each call, in this order: the circuit breaker (fail fast while Elastic Path is down), the
 * outbound limiter (concurrency, requests per second, a bounded queue), and retries with full-jitter
 * backoff inside a retry budget and the operation's deadline.
 */
import sjson from 'secure-json-parse';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { Config } from '../config.js';
import {
  ErrorCode,
  UnansweredWriteError,
  UpstreamStatusError,
  gatewayError,
  malformed,
  timedOut,
  unavailable,
  type UpstreamDetail,
} from '../errors.js';
import { CircuitBreaker, type BreakerOutcome, type BreakerState } from './breaker.js';
import type { ErrorItemDto } from './dto.js';
import { delay } from './delay.js';
import { Limiter } from './limiter.js';
import { RateWindow } from './rate-window.js';
import { RetryBudget } from './retry-budget.js';

/** The settings the client owns, passed straight through from `Config`. */
export type UpstreamSettings = Pick<
  Config,
  | 'epApiBaseUrl'
  | 'epApiTimeoutMs'
  | 'epApiConnections'
  | 'epApiMaxRps'
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

export interface UpstreamRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Built with `epPath`, so ids are already single encoded segments. */
  path: string;
  /** The path's template, ids as `{names}`: what metrics and spans show, never an id. */
  route: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** The operation's deadline and the caller going away; no attempt or backoff outlives it. */
  signal?: AbortSignal;
  /** The operation's counters. */
  meter?: CallMeter;
}

export interface UpstreamResponse {
  status: number;
  /** Parsed JSON, or `undefined` for an empty answer (204). */
  body: unknown;
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
}

export interface UpstreamClient {
  /**
   * Resolves with 2xx answers; throws `UpstreamStatusError` for others and `GraphQLError` for
   * transport failures: an `UnansweredWriteError` when a POST or DELETE left but its answer never came.
   */
  send(credentials: CallerCredentials, request: UpstreamRequest): Promise<UpstreamResponse>;
  stats(): UpstreamStats;
  close(): Promise<void>;
}

const RETRY_MAX_DELAY_MS = 2_000;

/** What one attempt came to. */
type Attempt =
  | { kind: 'answer'; status: number; contentType: string; text: string }
  /** Failed before the request could have reached Elastic Path: safe to repeat any method. */
  | { kind: 'unsent'; error: Error }
  /** Failed after the request may have reached Elastic Path. */
  | { kind: 'lost'; error: Error }
  | { kind: 'timeout'; error: Error }
  /** Refused by the gateway itself (breaker open, queue full, caller gone): never retried. */
  | { kind: 'refused'; error: Error };

const UNSENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export function createUpstreamClient(settings: UpstreamSettings, observer?: UpstreamObserver): UpstreamClient {
  const base = new URL(settings.epApiBaseUrl);
  const pathPrefix = base.pathname.replace(/\/+$/, '');
  const maxBytes = settings.epApiMaxResponseBytes;
  const maxAttempts = settings.epApiMaxAttempts;
  const retryBaseMs = settings.epApiRetryBaseMs;
  const timeoutMs = settings.epApiTimeoutMs;
  const connections = settings.epApiConnections;
  const queueLimit = settings.epApiQueueLimit;

  const pool = new Pool(base.origin, {
    connections,
    // undici's own defaults are 300 s; one attempt must never outlive the configured budget.
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: Math.min(timeoutMs, 5_000) },
    // Close idle sockets before a typical upstream keep-alive (5 s) does, so a reused socket is
    // rarely one the peer is closing at that moment.
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 30_000,
    keepAliveTimeoutThreshold: 1_000,
  });
  const limiter = new Limiter(connections);
  const rate = new RateWindow(settings.epApiMaxRps);
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
    return outcome;
  }

  async function startWithinRate(
    request: UpstreamRequest,
    headers: Record<string, string>,
    resendCount: number,
    body?: string,
  ): Promise<Attempt> {
    if (!(await rate.take(request.signal))) return { kind: 'refused', error: deadlineError(request.signal, timeoutMs) };
    if (!observer) return dispatch(request, headers, body);
    const finish = observer.attempt(request, resendCount, headers);
    const outcome = await dispatch(request, headers, body);
    if (outcome.kind === 'answer') finish(outcome.status);
    else finish(undefined, outcome.kind);
    return outcome;
  }

  async function dispatch(request: UpstreamRequest, headers: Record<string, string>, body?: string): Promise<Attempt> {
    // The pool's connect, headers and body timeouts bound each attempt; the signal is the operation's.
    const { signal } = request;
    let response: Dispatcher.ResponseData;
    try {
      response = await pool.request({
        method: request.method,
        path: pathPrefix + request.path + queryString(request.query),
        headers,
        body,
        signal,
      });
    } catch (error) {
      return transportFailure(error, request.signal, timeoutMs);
    }
    try {
      const text = await readCapped(response.body, maxBytes);
      return {
        kind: 'answer',
        status: response.statusCode,
        contentType: String(response.headers['content-type'] ?? ''),
        text,
      };
    } catch (error) {
      if (error instanceof TooLargeError) {
        return { kind: 'refused', error: malformed(`a response larger than ${maxBytes} bytes`, response.statusCode) };
      }
      // The status line arrived, so the request did reach Elastic Path.
      const failure = transportFailure(error, request.signal, timeoutMs);
      return failure.kind === 'unsent' ? { kind: 'lost', error: failure.error } : failure;
    }
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
      if (request.method !== 'GET' && (outcome.kind === 'lost' || outcome.kind === 'timeout')) {
        throw new UnansweredWriteError(outcome.error);
      }
      return settle(outcome);
    }
  }

  return {
    send,
    stats: () => ({ calls, retries, breaker: breaker.state, inFlight: limiter.inFlight, queued: limiter.queued }),
    async close() {
      limiter.clear();
      await pool.close();
    },
  };
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

function settle(outcome: Attempt): UpstreamResponse {
  if (outcome.kind !== 'answer') throw outcome.error;
  const { status, text, contentType } = outcome;
  const isJson = /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType);
  if (status >= 200 && status < 300) {
    if (text === '') return { status, body: undefined };
    if (!isJson) throw malformed('a response that is not JSON', status);
    const parsed = parseJson(text);
    if (parsed === undefined) throw malformed('malformed JSON', status);
    return { status, body: parsed };
  }
  throw new UpstreamStatusError(describeFailure(status, isJson ? parseJson(text) : undefined));
}

function queryString(query: UpstreamRequest['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, value);
  }
  const encoded = params.toString();
  return encoded ? `?${encoded}` : '';
}

/** Upstream JSON is untrusted: `__proto__` and `constructor.prototype` keys are dropped, never applied. */
function parseJson(text: string): unknown {
  try {
    return sjson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' });
  } catch {
    return undefined;
  }
}

/** Elastic Path's error body is `{errors: [{status, title, detail}]}`; keep only the words, never the whole body. */
function describeFailure(status: number, body: unknown): UpstreamDetail {
  const first = (body as { errors?: unknown } | undefined)?.errors;
  const item = Array.isArray(first) ? (first[0] as ErrorItemDto | undefined) : undefined;
  const detail: UpstreamDetail = { status };
  if (typeof item?.title === 'string') detail.title = item.title.slice(0, 500);
  if (typeof item?.detail === 'string') detail.detail = item.detail.slice(0, 2000);
  return detail;
}

class TooLargeError extends Error {}

/** The whole body as text, or TooLargeError past `maxBytes`; read with events, cheaper than an async iterator. */
function readCapped(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        body.destroy();
        reject(new TooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    body.once('error', reject);
    body.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8')));
  });
}

function transportFailure(error: unknown, operation: AbortSignal | undefined, timeoutMs: number): Attempt {
  if (operation?.aborted) return { kind: 'refused', error: deadlineError(operation, timeoutMs) };
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
    return { kind: 'timeout', error: timedOut(timeoutMs) };
  }
  if (typeof code === 'string' && UNSENT_CODES.has(code)) return { kind: 'unsent', error: unavailable() };
  return { kind: 'lost', error: unavailable() };
}

/** The operation's deadline passed, or its caller went away. */
function deadlineError(signal: AbortSignal | undefined, timeoutMs: number): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return gatewayError(ErrorCode.UPSTREAM_TIMEOUT, 'The operation ran out of time waiting for Elastic Path. Try again shortly.');
  }
  return timedOut(timeoutMs);
}

function breakerOpen(): Error {
  return gatewayError(
    ErrorCode.UPSTREAM_UNAVAILABLE,
    'Elastic Path is failing for many calls, so the gateway is pausing calls to it for a few seconds. Try again shortly.',
  );
}

function queueFull(): Error {
  return gatewayError(
    ErrorCode.RATE_LIMITED,
    'The gateway is at its limit of calls to Elastic Path. Wait a moment and try again.',
  );
}
