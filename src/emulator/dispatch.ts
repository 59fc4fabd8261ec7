/**
 * The request listener: record the request, read its body, route it, check its token, run the
 * handler and write the answer. Every failure becomes an Elastic Path error body; nothing a
 * client sends can crash the process.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TokenRegistry } from './auth.js';
import type { EmulatorSettings, Reply } from './context.js';
import type { RecordedRequest } from './emulator.js';
import { EpError, internalError, methodNotAllowed, routeNotFound, uriTooLong } from './errors.js';
import { flattenHeaders, originOf, readBody, sendJson, sendNoContent } from './http.js';
import { parseRequestTarget } from './request-target.js';
import { matchRoute } from './routes.js';
import type { EmulatorStore } from './store.js';

export const MAX_BODY_BYTES = 1024 * 1024;
/** EP-BEHAVIOUR: a filtered request must stay under 8 KB. */
export const MAX_TARGET_BYTES = 8 * 1024;

export interface DispatchDependencies {
  readonly store: EmulatorStore;
  readonly tokens: TokenRegistry;
  readonly settings: EmulatorSettings;
  /** Where links point when the Host header cannot be used. */
  readonly fallbackOrigin: () => string;
  readonly record?: (request: RecordedRequest) => void;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export function createRequestListener(dependencies: DispatchDependencies): Listener {
  return (req, res) => {
    handle(req, res, dependencies).catch((error: unknown) => sendFailure(res, error));
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, dependencies: DispatchDependencies): Promise<void> {
  const method = req.method ?? 'GET';
  const url = req.url ?? '/';
  const headers = flattenHeaders(req.headers);
  let body = '';
  let bodyFailure: unknown;
  try {
    body = await readBody(req, MAX_BODY_BYTES);
  } catch (error) {
    bodyFailure = error;
  }
  const queryStart = url.indexOf('?');
  dependencies.record?.({
    method,
    path: queryStart === -1 ? url : url.slice(0, queryStart),
    url,
    query: new URLSearchParams(queryStart === -1 ? '' : url.slice(queryStart + 1)),
    headers,
    body,
  });
  if (bodyFailure instanceof EpError) throw bodyFailure;
  if (bodyFailure !== undefined) {
    // The client went away while sending; there is no one to answer.
    res.destroy();
    return;
  }
  send(res, answer(req, method, url, headers, body, dependencies));
}

function answer(
  req: IncomingMessage,
  method: string,
  url: string,
  headers: Readonly<Record<string, string>>,
  body: string,
  { store, tokens, settings, fallbackOrigin }: DispatchDependencies,
): Reply {
  if (Buffer.byteLength(url) > MAX_TARGET_BYTES) throw uriTooLong(MAX_TARGET_BYTES);
  const target = parseRequestTarget(url);
  const match = matchRoute(method, target.segments);
  if (match === undefined) throw routeNotFound();
  if (match.operation === undefined) throw methodNotAllowed(match.allowedMethods);
  tokens.authorize(match.operation.access, headers, match.params.accountId);
  return match.operation.handle({
    target,
    pathParams: match.params,
    headers,
    body,
    origin: originOf(req, fallbackOrigin()),
    store,
    tokens,
    settings,
  });
}

function send(res: ServerResponse, reply: Reply): void {
  if (reply.status === 204) {
    sendNoContent(res);
  } else {
    sendJson(res, reply.status, reply.body);
  }
}

function sendFailure(res: ServerResponse, failure: unknown): void {
  if (!(failure instanceof EpError)) {
    console.error('Elastic Path emulator: unexpected failure while answering a request', failure);
  }
  const error = failure instanceof EpError ? failure : internalError();
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  sendJson(res, error.status, error.toBody(), error.headers);
}
