/**
 * The operation's deadline and the caller leaving, on both ways a POST is served (the HTTP fast
 * path and the full Yoga handler): each ends the upstream call it stops, gives back what the call
 * held, and answers with the deadline's own code. Every wait here is for an event (Elastic Path
 * saw the call, the call is queued, the caller's connection closed), never for a margin of time.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AccountMemberDocument } from '../gql/graphql.js';
import { memberBody } from '../support/bodies.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { MEMBER_ID, TOKEN } from '../support/ids.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';

let upstream: ScriptedUpstream | undefined;
let gateway: TestGateway | undefined;

async function start(env: Record<string, string>) {
  upstream = await startScriptedUpstream();
  gateway = await startGateway({ upstreamUrl: upstream.url, env: { EP_API_MAX_ATTEMPTS: '1', ...env } });
  return { upstream, gateway };
}

afterEach(async () => {
  await gateway?.close();
  upstream?.verify();
  await upstream?.close();
  gateway = upstream = undefined;
});

const readMember = () => gateway!.execute(AccountMemberDocument, { id: MEMBER_ID }, { authorization: TOKEN });

/** A read whose caller can leave: the fetch rejects once `leave()` is called. */
function leavableRead() {
  const caller = new AbortController();
  const answered = fetch(`${gateway!.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: TOKEN },
    body: JSON.stringify({ query: `{ accountMember(id: "${MEMBER_ID}") { name } }` }),
    signal: caller.signal,
  }).then(
    () => 'answered',
    () => 'left',
  );
  return { answered, leave: () => caller.abort() };
}

/** Resolves once `check` holds; checked at every turn of the event loop, so no margin is guessed. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

/** A reply the test releases, and the release. */
function heldReply() {
  let release!: () => void;
  const until = new Promise<void>((resolve) => (release = resolve));
  return { reply: { status: 200, json: memberBody(), until }, release };
}

describe.each([
  ['the HTTP fast path', 'true'],
  ['the full handler', 'false'],
])('served by %s', (_name, fastPath) => {
  it('abandons the upstream call when the caller goes away', async () => {
    const { upstream } = await start({ HTTP_FAST_PATH: fastPath, EP_API_TIMEOUT_MS: '60000', OPERATION_TIMEOUT_MS: '60000' });
    upstream.reply({ hang: true });
    const read = leavableRead();
    await upstream.whenReceived(1);
    read.leave();
    expect(await read.answered).toBe('left');
    // The gateway closes its own request to Elastic Path, long before any timeout could.
    await upstream.whenAbandoned(1);
    expect(upstream.received).toHaveLength(1);
  });

  it('answers UPSTREAM_TIMEOUT, saying the operation ran out of time, when OPERATION_TIMEOUT_MS passes during a call', async () => {
    const { upstream } = await start({ HTTP_FAST_PATH: fastPath, EP_API_TIMEOUT_MS: '60000', OPERATION_TIMEOUT_MS: '300' });
    upstream.reply({ hang: true });
    const result = await readMember();
    expect(result.errors).toEqual([
      expect.objectContaining({
        message: 'The operation ran out of time waiting for Elastic Path. Try again shortly.',
        extensions: expect.objectContaining({ code: 'UPSTREAM_TIMEOUT' }),
      }),
    ]);
    await upstream.whenAbandoned(1);
  });
});

describe('a call waiting for a connection slot', () => {
  it('gives its place up when its caller leaves, so the slot goes to the next call', async () => {
    const { upstream, gateway } = await start({ EP_API_CONNECTIONS: '1', EP_API_TIMEOUT_MS: '60000', OPERATION_TIMEOUT_MS: '60000' });
    const first = heldReply();
    upstream.reply(first.reply, { status: 200, json: memberBody() });
    const holder = readMember();
    await upstream.whenReceived(1);
    const waiter = leavableRead();
    await until(() => gateway.gateway.upstream.stats().queued === 1);
    waiter.leave();
    expect(await waiter.answered).toBe('left');
    await until(() => gateway.gateway.upstream.stats().queued === 0);

    first.release();
    expect((await holder).data?.accountMember?.name).toBe('Ron Swanson');
    // The slot came back: the next call runs at once instead of waiting for a caller who left.
    expect((await readMember()).data?.accountMember?.name).toBe('Ron Swanson');
    expect(gateway.gateway.upstream.stats()).toMatchObject({ inFlight: 0, queued: 0 });
    expect(upstream.received).toHaveLength(2);
  });

  it('answers UPSTREAM_TIMEOUT when the deadline passes while it waits, without ever being sent', async () => {
    const { upstream, gateway } = await start({ EP_API_CONNECTIONS: '1', EP_API_TIMEOUT_MS: '60000', OPERATION_TIMEOUT_MS: '300' });
    const first = heldReply();
    upstream.reply(first.reply);
    // The slot's holder is a call with no deadline of its own, made through the client directly.
    const holder = gateway.gateway.upstream.send(
      { authorization: TOKEN },
      { method: 'GET', path: `/v2/account-members/${MEMBER_ID}`, route: '/v2/account-members/{accountMemberId}' },
    );
    await upstream.whenReceived(1);
    const waiting = await readMember();
    expect(waiting.errors?.map((error) => [error.extensions?.code, error.message])).toEqual([
      ['UPSTREAM_TIMEOUT', 'The operation ran out of time waiting for Elastic Path. Try again shortly.'],
    ]);
    expect(gateway.gateway.upstream.stats()).toMatchObject({ inFlight: 1, queued: 0 });
    first.release();
    expect((await holder).status).toBe(200);
    expect(upstream.received).toHaveLength(1);
  });
});

describe('EP_API_TIMEOUT_MS between the parts of a body', () => {
  /** An Elastic Path that sends the head and the body's start, then the rest as `rest` says. */
  async function slowBody(rest: (res: ServerResponse, end: string) => void) {
    const body = JSON.stringify(memberBody());
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
      res.write(body.slice(0, 10));
      rest(res, body.slice(10));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const close = () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    };
    return { url, close };
  }

  it('answers UPSTREAM_TIMEOUT when the body stops for longer than EP_API_TIMEOUT_MS after its head arrived', async () => {
    const stalled = await slowBody(() => undefined);
    try {
      gateway = await startGateway({
        upstreamUrl: stalled.url,
        env: { EP_API_TIMEOUT_MS: '300', EP_API_MAX_ATTEMPTS: '1', OPERATION_TIMEOUT_MS: '60000' },
      });
      const result = await readMember();
      expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['UPSTREAM_TIMEOUT']);
    } finally {
      await gateway?.close();
      gateway = undefined;
      await stalled.close();
    }
  });

  it('reads a body whose parts come within EP_API_TIMEOUT_MS of each other, however long it takes in all', async () => {
    // Five gaps of a quarter of the timeout: the whole body takes longer than the timeout.
    const trickling = await slowBody((res, rest) => {
      const parts = [0, 1, 2, 3, 4].map((index) => rest.slice((index * rest.length) / 5, ((index + 1) * rest.length) / 5));
      const next = () => {
        const part = parts.shift();
        if (part === undefined) res.end();
        else
          setTimeout(() => {
            res.write(part);
            next();
          }, 500);
      };
      next();
    });
    try {
      gateway = await startGateway({
        upstreamUrl: trickling.url,
        env: { EP_API_TIMEOUT_MS: '2000', EP_API_MAX_ATTEMPTS: '1', OPERATION_TIMEOUT_MS: '60000' },
      });
      const started = Date.now();
      const result = await readMember();
      expect(result.data?.accountMember?.name).toBe('Ron Swanson');
      // It did take longer than one timeout: the limit is on each gap, not on the whole body.
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_500);
    } finally {
      await gateway?.close();
      gateway = undefined;
      await trickling.close();
    }
  });
});
