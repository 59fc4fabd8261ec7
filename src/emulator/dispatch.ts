/**
 * The request listener: record the request, read its body, route it, check its token, run the
 * handler and write the answer. Every failure becomes an Elastic Path error body; nothing a
 * client sends can crash the process.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TokenRegistry } from './auth.js';
import type { EmulatorSettings, Reply } from './context.js';
import { EpError, internalError, methodNotAllowed, routeNotFound, uriTooLong } from './errors.js';
import type { FaultInjector } from './faults.js';
import type { Integrations } from './integrations.js';
import { flattenHeaders, jsonAnswer, originOf, readBody, sendJson, writeAnswer, type Answer } from './http.js';
import { parseRequestTarget } from './request-target.js';
import { matchRoute } from './routes.js';
import type { EmulatorStore } from './store.js';

export const MAX_BODY_BYTES = 1024 * 1024;
/** EP-BEHAVIOUR: a filtered request must stay under 8 KB. */
const MAX_TARGET_BYTES = 8 * 1024;

export interface RecordedRequest {
  readonly method: string;
  /** The path as sent, still percent-encoded, without the query. */
  readonly path: string;
  /** The request target as sent: path and query. */
  readonly url: string;
  readonly query: URLSearchParams;
  /** Lower-cased names; repeated headers joined with ', '. */
  readonly headers: Readonly<Record<string, string>>;
  /** Empty when there was none, or when it was refused for its size. */
  readonly body: string;
}

export interface DispatchDependencies {
  readonly store: EmulatorStore;
  readonly tokens: TokenRegistry;
  readonly settings: EmulatorSettings;
  readonly integrations: Integrations;
  /** Where links point when the Host header cannot be used. */
  readonly fallbackOrigin: () => string;
  readonly record?: (request: RecordedRequest) => void;
  /** Applied after the request is read and recorded. */
  readonly faults?: FaultInjector;
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
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  dependencies.record?.({
    method,
    path,
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
  const produce = (): Answer => prepare(req, method, url, headers, body, dependencies);
  if (dependencies.faults === undefined) {
    writeAnswer(res, produce());
    return;
  }
  await dependencies.faults.serve({ req, res, method, path }, produce, writeAnswer);
}

/** Processes the request: its answer, an Elastic Path error included. */
function prepare(...args: Parameters<typeof answer>): Answer {
  let reply: Reply;
  try {
    reply = answer(...args);
  } catch (error) {
    if (!(error instanceof EpError)) throw error;
    return jsonAnswer(error.status, error.toBody(), error.headers);
  }
  return reply.status === 204 ? { status: 204, headers: {} } : jsonAnswer(reply.status, reply.body);
}

function answer(
  req: IncomingMessage,
  method: string,
  url: string,
  headers: Readonly<Record<string, string>>,
  body: string,
  { store, tokens, settings, fallbackOrigin, integrations }: DispatchDependencies,
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
    integrations,
  });
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
