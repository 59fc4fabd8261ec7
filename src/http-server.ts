/** Puts an app on a node:http server and takes it down cleanly; shared by the entry points and tests. */
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { closeServer, listen } from './listen.js';
import { payloadTooLarge } from './errors.js';
import type { ParsedBodyHandler } from './fast-path.js';
import { requestIdFrom } from './observability/records.js';

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
  /** Given each JSON body parsed to an object or array first; serves the request when it answers true. */
  parsedBody?: ParsedBodyHandler;
}

export async function startServer(
  listener: RequestListener,
  host: string,
  port: number,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const server = createServer(options.maxBodyBytes ? limitBody(listener, options.maxBodyBytes, options.parsedBody) : listener);
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
 * A JSON POST (every GraphQL client's, and routers') is read here in full and handed on already
 * parsed, as `req.body`: the fetch adapter then builds its Request around the parsed value instead
 * of streaming the body through a second Request and a size-limiting TransformStream, which cost
 * the gateway more per operation than anything else it did. A body that is not a JSON object or
 * array goes on as its raw bytes, so the app answers it exactly as it would have.
 */
function limitBody(listener: RequestListener, maxBodyBytes: number, parsedBody?: ParsedBodyHandler): RequestListener {
  return (req, res) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) {
      tooLarge(req, res, maxBodyBytes);
      req.resume();
      return;
    }
    let received = 0;
    if (req.method === 'POST' && JSON_TYPE.test(req.headers['content-type'] ?? '')) {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > maxBodyBytes) {
          tooLarge(req, res, maxBodyBytes);
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
        const body = parsedOrRaw(raw);
        if (parsedBody && !Buffer.isBuffer(body) && parsedBody(req, res, body as object)) return;
        (req as RequestWithBody).body = body;
        listener(req, res);
      });
      return;
    }
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBodyBytes) {
        tooLarge(req, res, maxBodyBytes);
        req.destroy();
      }
    });
    listener(req, res);
  };
}

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
