/**
 * Bodies sent slowly, in tiny chunks, and held open: what each costs the gateway's memory is
 * bounded by MAX_BODY_BYTES, and HTTP_REQUEST_TIMEOUT_MS ends a request that never finishes.
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

/** Opens a connection and sends a chunked JSON POST's head; the body is the caller's to send. */
function openPost(): Promise<Socket> {
  const { hostname, port } = new URL(gateway.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        'POST /graphql HTTP/1.1\r\nHost: gateway.test\r\nContent-Type: application/json\r\n' +
          'Accept: application/graphql-response+json\r\nTransfer-Encoding: chunked\r\n\r\n',
      );
      resolve(socket);
    });
    socket.on('error', reject);
    sockets.push(socket);
  });
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
    for (const socket of open) socket.write(wire);
    // Every byte sent has been read by the gateway's side of every connection.
    await until(() => seen.requests.length === CONNECTIONS && seen.requests.every((req) => req.socket.bytesRead >= wire.length));
    const grown = retainedBytes() - before;
    seen.stop();
    // Each request holds at most its body's buffer (grown by doubling, so under twice the limit),
    // plus its socket and request objects; a Buffer kept per chunk would be tens of MB each.
    expect(grown).toBeLessThan(CONNECTIONS * 2 * MAX_BODY_BYTES + 8 * 1024 * 1024);

    // The bytes held are the body: finished, it runs.
    const [first] = open as [Socket];
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
    const socket = await openPost();
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.write(oneByteChunks('{"query":"{ __typename }'));
    await new Promise((resolve) => socket.once('close', resolve));
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout/);
  });
});
