/**
 * One attempt on the wire, and nothing else: sends it through a keep-alive undici pool bound to
 * the configured origin, reads the body up to a cap, sorts a transport failure into the kind the
 * policy in `./client.ts` decides on (`Attempt`), and turns an answer into a parsed body or an
 * `UpstreamStatusError` carrying only Elastic Path's words. No retries, breaker or limits here.
 *
 * EP_API_TIMEOUT_MS bounds each phase of one attempt, not the attempt as a whole: connecting (at
 * most 5 s), waiting for the response head, and each gap while the body arrives. The operation's
 * deadline (the request's signal) bounds everything.
 */
import sjson from 'secure-json-parse';
import { Dispatcher, Pool } from 'undici';
import type { Config } from '../config.js';
import { UpstreamStatusError, deadlineError, malformed, timedOut, unavailable, type UpstreamDetail } from '../domain/errors.js';
import type { ErrorItemDto } from './dto.js';

/** The settings the transport owns, passed straight through from `Config`. */
export type TransportSettings = Pick<Config, 'epApiBaseUrl' | 'epApiTimeoutMs' | 'epApiConnections' | 'epApiMaxResponseBytes'>;

/** One attempt's request as it goes on the wire. */
export interface WireRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Built with `epRoute`, so ids are already single encoded segments. */
  path: string;
  query?: Record<string, string | undefined>;
  /** The operation's deadline and the caller going away; no attempt outlives it. */
  signal?: AbortSignal;
}

export interface UpstreamResponse {
  status: number;
  /** Parsed JSON, or `undefined` for an empty answer (204). */
  body: unknown;
}

/**
 * What one attempt came to. `sentAt` (ms since the epoch, our clock) is when the request was
 * written to a socket: set whenever it was, so a failure with it may have reached Elastic Path.
 */
export type Attempt =
  | { kind: 'answer'; status: number; contentType: string; text: string; sentAt?: number }
  /** Failed before the request could have reached Elastic Path: safe to repeat any method. */
  | { kind: 'unsent'; error: Error; sentAt?: undefined }
  /** Failed after the request may have reached Elastic Path. */
  | { kind: 'lost'; error: Error; sentAt?: number }
  | { kind: 'timeout'; error: Error; sentAt?: number }
  /**
   * Refused by the gateway itself (breaker open, queue full, caller gone, body too large): never
   * retried. With `sentAt`, the operation ended (its deadline, or its caller leaving) after the
   * request was written, so Elastic Path may have received it.
   */
  | { kind: 'refused'; error: Error; sentAt?: number };

/**
 * One answer's `Date` header with the interval it was stamped in, on our clock: what the clock
 * offset to Elastic Path is measured from (`./clock.ts`).
 */
export interface DateSample {
  /** The `Date` header as it came (parsed only when the offset is needed). */
  date: string;
  sentAt: number;
  receivedAt: number;
}

export interface Transport {
  /** Sends one attempt; never throws, every outcome is an `Attempt`. */
  send(request: WireRequest, headers: Record<string, string>, body?: string): Promise<Attempt>;
  close(): Promise<void>;
}

/** Hears of each answer's `Date` header, for the clock offset. */
export type DateListener = (sample: DateSample) => void;

/** A request option `WriteMomentDispatcher` reads: called as the request is written to a socket. */
const ON_WRITE = Symbol('onWrite');
type WithWriteHook = Dispatcher.DispatchOptions & { [ON_WRITE]?: () => void };

/**
 * The pool, telling each request's `ON_WRITE` when undici starts it on a connection (`onConnect`,
 * just before its head is written to the socket): that, not the call being queued or a 429 being
 * retried, is when it can have left. A Dispatcher of its own rather than `pool.compose(…)`, whose
 * Proxy and two handler conversions per request showed in the create's CPU profile.
 */
class WriteMomentDispatcher extends Dispatcher {
  constructor(private readonly pool: Pool) {
    super();
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const onWrite = (options as WithWriteHook)[ON_WRITE];
    return this.pool.dispatch(options, onWrite ? new WriteMomentHandler(handler as LegacyHandler, onWrite) : handler);
  }

  override close(): Promise<void> {
    return this.pool.close();
  }

  override destroy(): Promise<void> {
    return this.pool.destroy();
  }
}

/** The callbacks undici's own `request()` handler implements (its `RequestHandler`). */
interface LegacyHandler {
  onConnect(abort: (error?: Error) => void, context?: unknown): void;
  onHeaders(statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: string[] | null): void;
  onError(error: Error): void;
  onUpgrade?(statusCode: number, headers: Buffer[] | string[] | null, socket: unknown): void;
}

/** `handler`, with `onWrite` called as the request starts on a connection. */
class WriteMomentHandler implements LegacyHandler {
  constructor(
    private readonly handler: LegacyHandler,
    private readonly onWrite: () => void,
  ) {}

  onConnect(abort: (error?: Error) => void, context?: unknown): void {
    this.onWrite();
    this.handler.onConnect(abort, context);
  }

  onHeaders(statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    return this.handler.onHeaders(statusCode, headers, resume, statusText);
  }

  onData(chunk: Buffer): boolean {
    return this.handler.onData(chunk);
  }

  onComplete(trailers: string[] | null): void {
    this.handler.onComplete(trailers);
  }

  onError(error: Error): void {
    this.handler.onError(error);
  }

  onUpgrade(statusCode: number, headers: Buffer[] | string[] | null, socket: unknown): void {
    this.handler.onUpgrade?.(statusCode, headers, socket);
  }
}

const UNSENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export function createTransport(settings: TransportSettings, onDate?: DateListener): Transport {
  const base = new URL(settings.epApiBaseUrl);
  const pathPrefix = base.pathname.replace(/\/+$/, '');
  const maxBytes = settings.epApiMaxResponseBytes;
  const timeoutMs = settings.epApiTimeoutMs;

  const pool = new Pool(base.origin, {
    connections: settings.epApiConnections,
    // undici's own defaults are 300 s; no phase of an attempt may wait longer than the configured budget.
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: Math.min(timeoutMs, 5_000) },
    // Close idle sockets before a typical upstream keep-alive (5 s) does, so a reused socket is
    // rarely one the peer is closing at that moment.
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 30_000,
    keepAliveTimeoutThreshold: 1_000,
  });
  const dispatcher = new WriteMomentDispatcher(pool);

  async function send(request: WireRequest, headers: Record<string, string>, body?: string): Promise<Attempt> {
    // The pool's connect, headers and body timeouts bound each phase; the signal is the operation's.
    const { signal } = request;
    let sentAt: number | undefined;
    let response: Dispatcher.ResponseData;
    try {
      const options: WithWriteHook & Dispatcher.RequestOptions = {
        method: request.method,
        path: pathPrefix + request.path + queryString(request.query),
        headers,
        body,
        signal,
        [ON_WRITE]: () => {
          sentAt = Date.now();
        },
      };
      response = await dispatcher.request(options);
    } catch (error) {
      return transportFailure(error, signal, timeoutMs, sentAt);
    }
    const date = response.headers.date;
    if (onDate && typeof date === 'string' && sentAt !== undefined) onDate({ date, sentAt, receivedAt: Date.now() });
    try {
      const text = await readCapped(response.body, maxBytes);
      return {
        kind: 'answer',
        status: response.statusCode,
        contentType: String(response.headers['content-type'] ?? ''),
        text,
        sentAt,
      };
    } catch (error) {
      if (error instanceof TooLargeError) {
        return { kind: 'refused', error: malformed(`a response larger than ${maxBytes} bytes`, response.statusCode) };
      }
      // The status line arrived, so the request did reach Elastic Path.
      const failure = transportFailure(error, signal, timeoutMs, sentAt ?? Date.now());
      return failure.kind === 'unsent' ? { kind: 'lost', error: failure.error, sentAt: failure.sentAt } : failure;
    }
  }

  return { send, close: () => pool.close() };
}

/**
 * The final attempt's outcome as the caller gets it: a 2xx answer's parsed JSON (only for a JSON
 * content type), or the error: `UpstreamStatusError` for another status, the attempt's own error
 * for a transport failure.
 */
export function settle(outcome: Attempt): UpstreamResponse {
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

function queryString(query: WireRequest['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, value);
  }
  const encoded = params.toString();
  return encoded ? `?${encoded}` : '';
}

/**
 * Upstream JSON is untrusted: `__proto__` and `constructor.prototype` keys are dropped, never
 * applied. Such a key is spelt out in the text or disguised with a `\u` escape; a text with neither
 * cannot hold one, and is parsed as it is, without secure-json-parse's two scans of the whole text
 * (on a page of 100 they cost more than the check).
 */
function parseJson(text: string): unknown {
  try {
    if (!text.includes('__proto__') && !text.includes('constructor') && !text.includes('\\u')) return JSON.parse(text);
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

/**
 * Which `Attempt` a failure to send or read is: the operation ending, a phase timing out, never
 * sent, or lost. `sentAt` is when the request was written, if it was.
 */
function transportFailure(error: unknown, operation: AbortSignal | undefined, timeoutMs: number, sentAt: number | undefined): Attempt {
  if (operation?.aborted) return { kind: 'refused', error: deadlineError(operation, timeoutMs), sentAt };
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
    return { kind: 'timeout', error: timedOut(timeoutMs), sentAt };
  }
  if (typeof code === 'string' && UNSENT_CODES.has(code) && sentAt === undefined) return { kind: 'unsent', error: unavailable() };
  return { kind: 'lost', error: unavailable(), sentAt };
}
