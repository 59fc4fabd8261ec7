/** Puts an app on a node:http server and takes it down cleanly; shared by the entry points and tests. */
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { closeServer, listen } from './listen.js';
import { payloadTooLarge } from '../domain/errors.js';
import type { ParsedBodyHandler } from './fast-path.js';
import { requestIdFrom } from '../observability/records.js';

export interface RunningServer {
  server: Server;
  /** e.g. http://127.0.0.1:4000 */
  url: string;
  /** Stops accepting, lets in-flight requests finish, closing idle keep-alive sockets. */
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Requests with a larger body get 413 before the app reads them. */
  maxBodyBytes?: number;
  /** node's `requestTimeout`, `headersTimeout` and `keepAliveTimeout`; node's own defaults when absent. */
  timeouts?: { requestMs: number; headersMs: number; keepAliveMs: number };
  /** Given each JSON body parsed to an object or array first; serves the request when it answers true. */
  parsedBody?: ParsedBodyHandler;
}

export async function startServer(
  listener: RequestListener,
  host: string,
  port: number,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const { timeouts } = options;
  const server = createServer(
    timeouts
      ? {
          requestTimeout: timeouts.requestMs,
          headersTimeout: timeouts.headersMs,
          keepAliveTimeout: timeouts.keepAliveMs,
          // How often node looks for requests over those times (its own default, 30 s, would let
          // a request run up to 30 s past them).
          connectionsCheckingInterval: Math.min(1000, timeouts.headersMs),
        }
      : {},
    options.maxBodyBytes ? limitBody(listener, options.maxBodyBytes, options.parsedBody) : listener,
  );
  const url = await listen(server, port, host);
  let closing: Promise<void> | undefined;
  return { server, url, close: () => (closing ??= closeServer(server)) };
}

function tooLarge(req: Parameters<RequestListener>[0], res: Parameters<RequestListener>[1], maxBodyBytes: number): void {
  if (res.headersSent) return;
  const requestId = requestIdFrom(req.headers['x-request-id'] as string | undefined);
  res.writeHead(413, { 'content-type': 'application/json', connection: 'close', 'x-request-id': requestId });
  res.end(JSON.stringify({ errors: [payloadTooLarge(maxBodyBytes, requestId)] }));
}

/**
 * Refuses bodies over the limit, whether announced by Content-Length or streamed in chunks.
 *
 * A POST body is read here in full, its chunks after the first copied into one buffer that grows
 * to at most the limit: a body sent in many tiny chunks costs what its bytes cost, not a Buffer (and a slice of a
 * socket read) per chunk, as a stream's queue of them would. A JSON POST (every GraphQL client's,
 * and routers') is handed on already parsed, as `req.body`: the fetch adapter then builds its
 * Request around the parsed value instead of streaming the body through a second Request and a
 * size-limiting TransformStream, which cost the gateway more per operation than anything else it
 * did. Any other body (one that is not a JSON object or array, a form, `application/graphql`) goes
 * on as its raw bytes, so the app answers it exactly as it would have.
 */
function limitBody(listener: RequestListener, maxBodyBytes: number, parsedBody?: ParsedBodyHandler): RequestListener {
  return (req, res) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) {
      tooLarge(req, res, maxBodyBytes);
      req.resume();
      return;
    }
    if (req.method !== 'POST') {
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > maxBodyBytes) {
          tooLarge(req, res, maxBodyBytes);
          req.destroy();
        }
      });
      listener(req, res);
      return;
    }
    const body = new BodyBuffer(declared, maxBodyBytes);
    req.on('data', (chunk: Buffer) => {
      if (body.append(chunk)) return;
      tooLarge(req, res, maxBodyBytes);
      req.destroy();
    });
    req.on('end', () => {
      const raw = body.bytes();
      if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) {
        (req as RequestWithBody).body = raw;
        listener(req, res);
        return;
      }
      const parsed = parsedOrRaw(raw);
      if (parsedBody && !Buffer.isBuffer(parsed) && parsedBody(req, res, parsed as object)) return;
      (req as RequestWithBody).body = parsed;
      listener(req, res);
    });
  };
}

/**
 * A request body's bytes in one buffer, grown by doubling and never past the limit. A body that
 * arrives in one chunk (nearly every operation) is that chunk, neither allocated nor copied again;
 * from the second chunk on, each is copied in.
 */
class BodyBuffer {
  #first: Buffer | undefined;
  #buffer: Buffer | undefined;
  #length = 0;
  readonly #declared: number;
  readonly #limit: number;

  /** `declared`: the Content-Length, when sent (already checked against the limit). */
  constructor(declared: number, limit: number) {
    this.#declared = declared;
    this.#limit = limit;
  }

  /** Takes the chunk in; false when the body would then be over the limit. */
  append(chunk: Buffer): boolean {
    const length = this.#length + chunk.length;
    if (length > this.#limit) return false;
    if (this.#length === 0 && this.#buffer === undefined) {
      this.#first = chunk;
      this.#length = length;
      return true;
    }
    let buffer = this.#buffer;
    if (buffer === undefined) {
      buffer = Buffer.allocUnsafe(Math.max(this.#declared > 0 ? this.#declared : Math.min(INITIAL_BODY_BYTES, this.#limit), length));
      (this.#first as Buffer).copy(buffer, 0);
      this.#first = undefined;
    }
    if (length > buffer.length) {
      let size = buffer.length * 2;
      while (size < length) size *= 2;
      const grown = Buffer.allocUnsafe(Math.min(size, this.#limit));
      buffer.copy(grown, 0, 0, this.#length);
      buffer = grown;
    }
    chunk.copy(buffer, this.#length);
    this.#buffer = buffer;
    this.#length = length;
    return true;
  }

  /** The bytes received, without copying them again. */
  bytes(): Buffer {
    return this.#buffer?.subarray(0, this.#length) ?? this.#first ?? Buffer.alloc(0);
  }
}

/** Where a body of unannounced length starts: most operations fit. */
const INITIAL_BODY_BYTES = 4096;

type RequestWithBody = IncomingMessage & { body?: unknown };

const JSON_TYPE = /^application\/(?:graphql\+)?json\s*(?:;|$)/i;

/** The parsed body when it is a non-empty JSON object or array (what the adapter takes as parsed); otherwise the bytes. */
function parsedOrRaw(raw: Buffer): unknown {
  if (raw.length === 0) return raw;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    return raw;
  }
  return typeof parsed === 'object' && parsed !== null && Object.keys(parsed).length > 0 ? parsed : raw;
}
