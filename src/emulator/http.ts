/** Reading requests and writing responses on node:http, the way every route needs them. */
import { STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { payloadTooLarge } from './errors.js';

/** An answer ready to write: status, every header, and the body as text (none for 204). */
export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | number>>;
  readonly payload?: string;
}

export function jsonAnswer(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Answer {
  const payload = JSON.stringify(body);
  return {
    status,
    headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    payload,
  };
}

export function writeAnswer(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, answer.headers);
  res.end(answer.payload);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  writeAnswer(res, jsonAnswer(status, body, headers));
}

/**
 * The whole body as UTF-8 text. A body larger than `limitBytes` is refused with 413 as soon as
 * that is known; the rest is read and dropped so the client can still read the answer.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limitBytes) {
    req.resume();
    return Promise.reject(payloadTooLarge(limitBytes));
  }
  if ((declared === undefined || declared === '0') && req.headers['transfer-encoding'] === undefined) {
    return Promise.resolve('');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanUp();
        req.resume();
        reject(payloadTooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanUp();
      resolve(Buffer.concat(chunks, size).toString('utf8'));
    };
    const onError = (error: Error): void => {
      cleanUp();
      reject(error);
    };
    const cleanUp = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** One string per header: node keeps repeated headers (`set-cookie`) as arrays. */
export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

const HOST_PATTERN = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

/**
 * The origin links point at, taken from the Host header like Elastic Path does; a missing or
 * odd Host falls back to the address the server listens on.
 */
export function originOf(req: IncomingMessage, fallbackOrigin: string): string {
  const host = req.headers.host;
  return host !== undefined && HOST_PATTERN.test(host) ? `http://${host}` : fallbackOrigin;
}

/**
 * Answers a request node could not parse (bad request line, headers too large) with a JSON error
 * instead of node's bare 400, then closes the connection.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const title = STATUS_CODES[status] ?? 'Bad Request';
  const detail = tooLarge ? 'the request headers are too large' : 'the request could not be parsed';
  const payload = JSON.stringify({ errors: [{ status: String(status), title, detail }] });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(payload)}\r\nconnection: close\r\n\r\n${payload}`,
  );
}
