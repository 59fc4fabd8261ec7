/**
 * Two gateways alike in every setting but HTTP_FAST_PATH, for tests that prove the fast path
 * answers exactly as the full Yoga handler does; a raw HTTP/1.1 client that shows an answer as it
 * was written (status, every header in order with its case, the body's bytes); and the counter
 * that says which path served a request.
 */
import { type Agent, request as httpRequest } from 'node:http';
import { startGateway, type TestGateway, type TestGatewayOptions } from './gateway.js';

export interface GatewayPair {
  /** HTTP_FAST_PATH=true */
  fast: TestGateway;
  /** HTTP_FAST_PATH=false: every request through the full Yoga handler. */
  full: TestGateway;
  close(): Promise<void>;
}

export async function startGatewayPair(options: TestGatewayOptions): Promise<GatewayPair> {
  const env = options.env ?? {};
  const fast = await startGateway({ ...options, env: { ...env, HTTP_FAST_PATH: 'true' } });
  const full = await startGateway({ ...options, env: { ...env, HTTP_FAST_PATH: 'false' } }).catch(async (error: unknown) => {
    await fast.close();
    throw error;
  });
  return {
    fast,
    full,
    async close() {
      await Promise.all([fast.close(), full.close()]);
    },
  };
}

/** `http_fast_path_requests_total` from the gateway's own `/metrics` (a GET, which never takes the fast path). */
export async function fastPathServed(gateway: TestGateway): Promise<number> {
  const response = await fetch(`${gateway.url}/metrics`);
  const text = await response.text();
  const line = /^http_fast_path_requests_total (\d+)$/m.exec(text);
  if (!line) throw new Error(`http_fast_path_requests_total is not on ${gateway.url}/metrics`);
  return Number(line[1]);
}

export interface RawRequest {
  /** @default 'POST' */
  method?: string;
  /** Path and query. @default '/graphql' */
  path?: string;
  /** Sent as given, and nothing else but `host`, `connection` and the body's length. */
  headers?: Record<string, string>;
  body?: string;
  /** Sends the body in 1 KiB chunks with no Content-Length, as a stream would. */
  chunked?: boolean;
}

export interface RawAnswer {
  status: number;
  /** Every header as written: name (with its case) and value, in order. */
  headers: Array<[string, string]>;
  body: string;
}

/**
 * One request over a keep-alive connection of `agent`, as a GraphQL client's HTTP stack sends it
 * (`fetch` would add `accept`, `accept-encoding`, `user-agent` and lower-case every name).
 */
export function rawRequest(
  url: string,
  agent: Agent,
  { method = 'POST', path = '/graphql', headers = {}, body, chunked = false }: RawRequest,
): Promise<RawAnswer> {
  const target = new URL(url);
  return new Promise<RawAnswer>((resolve, reject) => {
    let answered = false;
    const req = httpRequest(
      {
        agent,
        host: target.hostname,
        port: target.port,
        method,
        path,
        headers: body === undefined || chunked ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const pairs: Array<[string, string]> = [];
          for (let index = 0; index < res.rawHeaders.length; index += 2) {
            pairs.push([res.rawHeaders[index] as string, res.rawHeaders[index + 1] as string]);
          }
          resolve({ status: res.statusCode ?? 0, headers: pairs, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    // A server that refuses a body part-way (413) may close the socket while the rest is still going out.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (body !== undefined && chunked) {
      for (let offset = 0; offset < body.length; offset += 1024) req.write(body.slice(offset, offset + 1024));
      req.end();
    } else {
      req.end(body);
    }
  });
}
