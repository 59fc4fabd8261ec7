/**
 * Bodies sent slowly, in tiny chunks, and held open: what each costs the gateway's memory is
 * bounded by MAX_BODY_BYTES, and HTTP_REQUEST_TIMEOUT_MS ends a request that never finishes.
 * Heads sent slowly are ended by HTTP_HEADERS_TIMEOUT_MS, and idle keep-alive connections are
 * closed after HTTP_KEEP_ALIVE_TIMEOUT_MS.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let upstream: ScriptedUpstream;
let gateway: TestGateway;
const sockets: Socket[] = [];

async function start(env: Record<string, string> = {}) {
  upstream = await startScriptedUpstream();
  gateway = await startGateway({ upstreamUrl: upstream.url, env });
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await gateway?.close();
  upstream?.verify();
  expect(upstream?.received).toEqual([]);
  await upstream?.close();
});

interface Connection {
  socket: Socket;
  /** All the gateway has sent back so far. */
  received(): string;
  closed: Promise<unknown>;
}

/**
 * A raw connection to the gateway, once connected; refused if it cannot connect. Errors after that
 * (a byte sent once the gateway has closed the connection) are expected and ignored: the tests read
 * the answer and the close.
 */
async function connection(): Promise<Connection> {
  const { hostname, port } = new URL(gateway.url);
  const socket = connect(Number(port), hostname);
  sockets.push(socket);
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const closed = new Promise((resolve) => socket.once('close', resolve));
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.on('error', reject);
  });
  return { socket, received: () => text, closed };
}

/** Opens a connection and sends a chunked JSON POST's head; the body is the caller's to send. */
async function openPost(): Promise<Connection> {
  const open = await connection();
  open.socket.write(
    'POST /graphql HTTP/1.1\r\nHost: gateway.test\r\nContent-Type: application/json\r\n' +
      'Accept: application/graphql-response+json\r\nTransfer-Encoding: chunked\r\n\r\n',
  );
  return open;
}

/** `text` in HTTP chunks of one byte each: the framing makes node emit one 'data' event per byte. */
const oneByteChunks = (text: string): string => [...text].map((char) => `1\r\n${char}\r\n`).join('');

/** The server side of each request, as node announces it. */
function serverRequests(): { requests: IncomingMessage[]; stop(): void } {
  const requests: IncomingMessage[] = [];
  const onRequest = (message: unknown) => requests.push((message as { request: IncomingMessage }).request);
  subscribe('http.server.request.start', onRequest);
  return { requests, stop: () => unsubscribe('http.server.request.start', onRequest) };
}

/** Resolves once `condition` holds, checking whenever the event loop has turned over. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

function retainedBytes(): number {
  gc();
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

describe('bodies sent a byte at a time', () => {
  const CONNECTIONS = 4;
  const MAX_BODY_BYTES = 100 * 1024;

  it('cost the gateway memory bounded by MAX_BODY_BYTES per request, however long they are held', async () => {
    await start();
    const head = '{"query":"{ __typename }","variables":{"pad":"';
    const held = head + 'x'.repeat(40 * 1024);
    const wire = oneByteChunks(held);
    const seen = serverRequests();
    const before = retainedBytes();
    const open = await Promise.all(Array.from({ length: CONNECTIONS }, openPost));
    for (const { socket } of open) socket.write(wire);
    // Every byte sent has been read by the gateway's side of every connection.
    await until(() => seen.requests.length === CONNECTIONS && seen.requests.every((req) => req.socket.bytesRead >= wire.length));
    const grown = retainedBytes() - before;
    seen.stop();
    // Each request holds at most its body's buffer (grown by doubling, so under twice the limit),
    // plus its socket and request objects; a Buffer kept per chunk would be tens of MB each.
    expect(grown).toBeLessThan(CONNECTIONS * 2 * MAX_BODY_BYTES + 8 * 1024 * 1024);

    // The bytes held are the body: finished, it runs.
    const [{ socket: first }] = open as [Connection];
    const answer = new Promise<string>((resolve) => {
      let text = '';
      first.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (/\r\n\r\n\{.*\}$/s.test(text)) resolve(text);
      });
    });
    first.write(`${oneByteChunks('"}}')}0\r\n\r\n`);
    expect(await answer).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*\{"data":\{"__typename":"Query"\}/);
  });

  it('are ended with 408 once HTTP_REQUEST_TIMEOUT_MS has passed without the whole request', async () => {
    await start({ HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_HEADERS_TIMEOUT_MS: '500' });
    const { socket, received, closed } = await openPost();
    socket.write(oneByteChunks('{"query":"{ __typename }'));
    await closed;
    expect(received()).toMatch(/^HTTP\/1\.1 408 Request Timeout/);
  });
});

describe('request heads sent a byte at a time', () => {
  const HTTP_HEADERS_TIMEOUT_MS = 500;

  it('are ended with 408 once HTTP_HEADERS_TIMEOUT_MS has passed without the whole head', async () => {
    // The whole request may take ten minutes: only the headers' own limit can end this one in time.
    await start({ HTTP_REQUEST_TIMEOUT_MS: '600000', HTTP_HEADERS_TIMEOUT_MS: String(HTTP_HEADERS_TIMEOUT_MS) });
    const { socket, received, closed } = await connection();
    const sentAt = performance.now();
    socket.write('POST /graphql HTTP/1.1\r\nHost: gateway.test\r\nX-Padding: ');
    // A byte of the head keeps arriving, so no idle timeout ends the connection, only a limit on the whole head.
    const trickle = setInterval(() => socket.write('x'), 100);
    socket.once('data', () => clearInterval(trickle));
    socket.once('close', () => clearInterval(trickle));
    await closed;
    expect(received()).toMatch(/^HTTP\/1\.1 408 Request Timeout/);
    expect(performance.now() - sentAt).toBeGreaterThanOrEqual(HTTP_HEADERS_TIMEOUT_MS);
  });
});

describe('idle keep-alive connections', () => {
  const HTTP_KEEP_ALIVE_TIMEOUT_MS = 1000;

  it('are closed by the gateway once idle for HTTP_KEEP_ALIVE_TIMEOUT_MS, which the answer announces', async () => {
    await start({ HTTP_KEEP_ALIVE_TIMEOUT_MS: String(HTTP_KEEP_ALIVE_TIMEOUT_MS) });
    const { socket, received, closed } = await connection();
    const sentAt = performance.now();
    socket.write('GET /health HTTP/1.1\r\nHost: gateway.test\r\n\r\n');
    await closed;
    const openFor = performance.now() - sentAt;
    const answer = received();
    // One answer, kept alive: node announces the idle time in whole seconds (its own default would say 5).
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer.match(/^HTTP\/1\.1 /gm)).toHaveLength(1);
    expect(answer).toMatch(/\r\nConnection: keep-alive\r\n/i);
    expect(answer).toMatch(/\r\nKeep-Alive: timeout=1\r\n/i);
    // The idle timer starts after the request arrived; a few ms allow for the timer's rounding.
    expect(openFor).toBeGreaterThanOrEqual(HTTP_KEEP_ALIVE_TIMEOUT_MS - 5);
  });
});
