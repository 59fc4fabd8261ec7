/**
 * The fast path for what nearly every request to a gateway is: `POST /graphql` with a JSON body,
 * which the node server has already read and parsed (server.ts).
 *
 * It runs the same Yoga app as every other request: each plugin's onRequest and onResponse, Yoga's
 * parsers, parse/validate caches, batching, masking and result processing, and the Response is
 * written by the fetch adapter's own writer. What it leaves out is the adapter's request: a URL, an
 * AbortController behind a Proxy with three listeners, a Request, and a second Proxy around it that
 * every property read went through. In their place is `ParsedJsonRequest`, which has what Yoga and
 * the plugins read of a request: method, url, headers (the same lazy wrapper over node's), signal
 * (made only if read: the deadline hears the caller go without one), json() and text().
 *
 * Anything else goes to the full handler: other methods, paths and media types, streaming accepts
 * (`text/event-stream`, `multipart/mixed`), and content types Yoga's JSON parser would not take as
 * they are. `HTTP_FAST_PATH=false` sends everything there.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fakePromise, unfakePromise } from '@whatwg-node/promise-helpers';
import { handleErrorFromRequestHandler, sendNodeResponse } from '@whatwg-node/server';
import type { App } from '../app.js';
import { WHEN_CALLER_GOES, type CallerGoneHook } from './deadline.js';
import { EVENT_STREAM, JSON_REQUEST_TYPES, MULTIPART_MIXED } from './media-types.js';
import { GRAPHQL_PATH } from './paths.js';

/** Takes a request whose JSON body is parsed; false when it is not one for the fast path. */
export type ParsedBodyHandler = (req: IncomingMessage, res: ServerResponse, body: object) => boolean;

/** Accepts that may be answered with a stream, which only the full handler writes. */
const STREAMING = new RegExp(`${EVENT_STREAM}|${MULTIPART_MIXED}`, 'i');

export function fastPath(app: App, served: () => void): ParsedBodyHandler {
  const { fetchAPI } = app;
  return (req, res, body) => {
    if (!eligible(req)) return false;
    served();
    const request = new ParsedJsonRequest(req, res, body, new fetchAPI.Headers(req.headers as Record<string, string>));
    // The adapter's own chain, where fake promises keep every step that answers at once
    // synchronous. No server context: the adapter then gives the request just its `waitUntil`
    // (nothing here reads the `req` and `res` it adds) instead of copying one property by property.
    unfakePromise(
      fakePromise()
        .then(() => app.handleRequest(request as unknown as Request, undefined as never))
        .catch((error: unknown) => handleErrorFromRequestHandler(error as Error, fetchAPI.Response))
        .then((response) => sendNodeResponse(response, res, req, true))
        .catch((error: unknown) => console.error(`Unexpected error while handling request: ${(error as Error).message}`)),
    );
    return true;
  };
}

function eligible(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  const url = req.url ?? '';
  if (url !== GRAPHQL_PATH && !url.startsWith(`${GRAPHQL_PATH}?`)) return false;
  const type = req.headers['content-type']?.split(',')[0] ?? '';
  if (!JSON_REQUEST_TYPES.some((json) => type === json || type.startsWith(`${json};`))) return false;
  const accept = req.headers.accept;
  return accept === undefined || !STREAMING.test(accept);
}

/**
 * What Yoga and the plugins read of a request, over node's own request. The body is already
 * parsed: `json()` answers it, and `body` is null, as it is for the adapter's pre-parsed requests,
 * so nothing streams it again.
 */
class ParsedJsonRequest implements CallerGoneHook {
  readonly method = 'POST';
  readonly body = null;
  readonly bodyUsed = false;
  readonly headers: Headers;
  #signal: AbortSignal | undefined;
  #url: string | undefined;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #parsed: object;

  constructor(req: IncomingMessage, res: ServerResponse, parsed: object, headers: Headers) {
    this.#req = req;
    this.#res = res;
    this.#parsed = parsed;
    this.headers = headers;
  }

  /** As the adapter builds it: the Host header's authority and the path as sent. Read by several plugins. */
  get url(): string {
    if (this.#url === undefined) {
      const protocol = (this.#req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
      this.#url = `${protocol}://${this.#req.headers.host ?? 'localhost'}${this.#req.url}`;
    }
    return this.#url;
  }

  /** Aborts when the caller goes away before the response is finished; made on first read. */
  get signal(): AbortSignal {
    if (this.#signal) return this.#signal;
    const controller = new AbortController();
    this[WHEN_CALLER_GOES]((reason) => controller.abort(reason));
    return (this.#signal = controller.signal);
  }

  /** For the deadline, which then needs no signal here, nor an EventTarget listener on one. */
  [WHEN_CALLER_GOES](gone: (reason?: unknown) => void): void {
    const res = this.#res;
    if (res.destroyed) {
      if (!res.writableFinished) gone(res.errored ?? undefined);
      return;
    }
    res.once('close', () => {
      if (!res.writableFinished) gone(res.errored ?? undefined);
    });
  }

  /** Already there, so answered as the adapter answers it: synchronously, without a microtask. */
  json(): Promise<unknown> {
    return fakePromise(this.#parsed);
  }

  text(): Promise<string> {
    return fakePromise(JSON.stringify(this.#parsed));
  }
}
