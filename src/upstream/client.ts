/**
 * The one HTTP client every Elastic Path call goes through: a keep-alive undici pool bound to the
 * configured origin, explicit timeouts, bodies always consumed, JSON parsed only when the answer
 * says it is JSON, and only the caller's Elastic Path credentials forwarded.
 */
import { Pool, errors as undiciErrors } from 'undici';
import type { Dispatcher } from 'undici';
import {
  UpstreamStatusError,
  malformed,
  timedOut,
  unavailable,
  type UpstreamDetail,
} from '../errors.js';
import type { ErrorItemDto } from './dto.js';

export interface UpstreamClientOptions {
  /** Origin plus optional path prefix, as validated by `loadConfig`. */
  baseUrl: string;
  /** Budget for one call, from connecting through reading the whole body. */
  timeoutMs: number;
  /**
   * Sockets kept open to Elastic Path.
   * @default 64
   */
  connections?: number;
  /**
   * Largest response body read; a larger one is abandoned as malformed.
   * @default 5 MiB
   */
  maxResponseBytes?: number;
}

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
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Aborts the call when the caller goes away. */
  signal?: AbortSignal;
}

export interface UpstreamResponse {
  status: number;
  /** Parsed JSON, or `undefined` for an empty answer (204). */
  body: unknown;
}

export interface UpstreamClient {
  /** Resolves with 2xx answers; throws `UpstreamStatusError` for others and `GraphQLError` for transport failures. */
  send(credentials: CallerCredentials, request: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

const DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024;

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const base = new URL(options.baseUrl);
  const pathPrefix = base.pathname.replace(/\/+$/, '');
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const { timeoutMs } = options;
  const pool = new Pool(base.origin, {
    connections: options.connections ?? 64,
    // undici's own defaults are 300 s; one call must never outlive the configured budget.
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: Math.min(timeoutMs, 5_000) },
    // Elastic Path's edge closes idle sockets; drop ours first so a reused socket is rarely stale.
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 30_000,
  });

  async function send(credentials: CallerCredentials, request: UpstreamRequest): Promise<UpstreamResponse> {
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([deadline, request.signal]) : deadline;
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
      throw transportFailure(error, deadline, timeoutMs);
    }

    const { statusCode } = response;
    let text: string;
    try {
      text = await readCapped(response.body, maxBytes);
    } catch (error) {
      if (error instanceof TooLargeError) throw malformed(`a response larger than ${maxBytes} bytes`, statusCode);
      throw transportFailure(error, deadline, timeoutMs);
    }
    const isJson = /^application\/(?:[\w.+-]+\+)?json\b/i.test(String(response.headers['content-type'] ?? ''));

    if (statusCode >= 200 && statusCode < 300) {
      if (text === '') return { status: statusCode, body: undefined };
      if (!isJson) throw malformed('a response that is not JSON', statusCode);
      const parsed = parseJson(text);
      if (parsed === undefined) throw malformed('malformed JSON', statusCode);
      return { status: statusCode, body: parsed };
    }
    throw new UpstreamStatusError(describeFailure(statusCode, isJson ? parseJson(text) : undefined));
  }

  return {
    send,
    close: () => pool.close(),
  };
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

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
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

async function readCapped(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      body.destroy();
      throw new TooLargeError();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function transportFailure(error: unknown, deadline: AbortSignal, timeoutMs: number): Error {
  if (deadline.aborted) return timedOut(timeoutMs);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return timedOut(timeoutMs);
  if (error instanceof undiciErrors.RequestAbortedError || (error as Error | null)?.name === 'AbortError') {
    // The caller went away; nobody reads this answer, but it must still be a coded error.
    return unavailable();
  }
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return unavailable();
  return unavailable();
}
