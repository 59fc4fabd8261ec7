/**
 * What the WebSocket path refuses, seen through the real `graphql-ws` client: a browser origin not
 * in CORS_ORIGINS, a subscription past SUBSCRIPTIONS_PER_CONNECTION, and (with trusted documents
 * enforced) a document not on the list, refused with the same code as over HTTP.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEMO } from '../../src/emulator/seed.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startStack, type Stack } from '../support/stack.js';

const { acme } = DEMO.accounts;
const ALLOWED = 'https://admin.example.com';
const EVENTS = 'subscription Live($accountId: ID!) { accountMembershipEvents(accountId: $accountId) { type membershipId } }';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

interface Socket {
  client: Client;
  /** The error the socket met (the refused upgrade's, for instance), once it met one. */
  failed: Promise<unknown>;
  closed: Promise<{ code: number }>;
}

/** One graphql-ws client (one socket), sending `origin` on the upgrade as a browser would. */
function connect(gateway: TestGateway, authorization: string, origin?: string): Socket {
  let failed!: (error: unknown) => void;
  let closed!: (event: { code: number }) => void;
  const socket: Socket = {
    failed: new Promise((resolve) => (failed = resolve)),
    closed: new Promise((resolve) => (closed = resolve)),
    client: createClient({
      url: `${gateway.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: class extends WebSocket {
        constructor(address: string, protocols: string[]) {
          super(address, protocols, { headers: origin ? { origin } : {} });
        }
      },
      connectionParams: { authorization },
      retryAttempts: 0,
      on: {
        error: (error) => failed(error),
        closed: (event) => closed(event as { code: number }),
      },
    }),
  };
  return socket;
}

/** Subscribes on a socket; `ended` resolves with the results it delivered and how it ended. */
function operation(client: Client, payload: { query: string; variables?: Record<string, unknown>; extensions?: Record<string, unknown> }) {
  const results: Array<{ errors?: Array<{ extensions?: { code?: string } }> }> = [];
  let unsubscribe!: () => void;
  const ended = new Promise<{ error?: unknown; results: typeof results }>((resolve) => {
    unsubscribe = client.subscribe(payload, {
      next: (result) => void results.push(result as (typeof results)[number]),
      error: (error) => resolve({ error, results }),
      complete: () => resolve({ results }),
    });
  });
  return { ended, unsubscribe };
}

describe('the WebSocket upgrade and its limits', () => {
  let stack: Stack;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    stack = await startStack({ gateway: { env: { CORS_ORIGINS: ALLOWED, SUBSCRIPTIONS_PER_CONNECTION: '2' } } });
  });
  afterEach(async () => {
    await Promise.all(sockets.splice(0).map((socket) => socket.client.dispose()));
    await until(() => stack.gateway.gateway.events.subscribers() === 0);
  });
  afterAll(() => stack?.close());

  it('refuses a browser whose Origin is not in CORS_ORIGINS before any operation, and serves one that is', async () => {
    const foreign = connect(stack.gateway, stack.authorization, 'https://evil.example.com');
    sockets.push(foreign);
    const refused = operation(foreign.client, { query: EVENTS, variables: { accountId: acme.id } });
    // The upgrade is answered 403: the socket never opens (1006), and no operation ran.
    expect(await foreign.failed).toMatchObject({ message: 'Unexpected server response: 403' });
    expect((await foreign.closed).code).toBe(1006);
    expect((await refused.ended).results).toEqual([]);
    expect(stack.upstreamCalls()).toEqual([]);

    const admin = connect(stack.gateway, stack.authorization, ALLOWED);
    sockets.push(admin);
    operation(admin.client, { query: EVENTS, variables: { accountId: acme.id } });
    await until(() => stack.gateway.gateway.events.subscribers() === 1);
  });

  it('answers a subscription past SUBSCRIPTIONS_PER_CONNECTION with SUBSCRIPTION_LIMIT and keeps the others', async () => {
    const socket = connect(stack.gateway, stack.authorization);
    sockets.push(socket);
    operation(socket.client, { query: EVENTS, variables: { accountId: acme.id } });
    operation(socket.client, { query: EVENTS, variables: { accountId: acme.id } });
    await until(() => stack.gateway.gateway.events.subscribers() === 2);
    const third = await operation(socket.client, { query: EVENTS, variables: { accountId: acme.id } }).ended;
    expect(third.error).toEqual([
      expect.objectContaining({
        message: 'This connection already holds its limit of 2 subscriptions. Complete one, or open another connection.',
        extensions: expect.objectContaining({ code: 'SUBSCRIPTION_LIMIT' }),
      }),
    ]);
    // The socket and its two subscriptions go on.
    expect(stack.gateway.gateway.events.subscribers()).toBe(2);
    // Another connection has limits of its own.
    const other = connect(stack.gateway, stack.authorization);
    sockets.push(other);
    operation(other.client, { query: EVENTS, variables: { accountId: acme.id } });
    await until(() => stack.gateway.gateway.events.subscribers() === 3);
  });
});

describe('trusted documents over WebSocket', () => {
  let stack: Stack;
  let gateway: TestGateway;
  let dir: string;
  beforeAll(async () => {
    stack = await startStack();
    dir = await mkdtemp(join(tmpdir(), 'trusted-ws-'));
    const file = join(dir, 'persisted-documents.json');
    await writeFile(file, JSON.stringify({ [`sha256:${sha256(EVENTS)}`]: EVENTS }));
    gateway = await startGateway({ upstreamUrl: stack.upstreamUrl, env: { TRUSTED_DOCUMENTS_FILE: file } });
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an unlisted document with the code HTTP answers, and runs a listed one', async () => {
    const unlisted = 'subscription Other($accountId: ID!) { accountMembershipEvents(accountId: $accountId) { id } }';
    const byHash = {
      query: '',
      variables: { accountId: acme.id },
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256(unlisted) } },
    };
    const asText = { query: unlisted, variables: { accountId: acme.id } };
    for (const payload of [byHash, asText]) {
      const overHttp = await gateway.post(payload, { authorization: stack.authorization });
      expect(overHttp.status).toBe(400);
      const httpCode = overHttp.errors?.[0]?.extensions?.code;
      expect(httpCode).toMatch(/^PERSISTED_QUERY_/);

      const socket = connect(gateway, stack.authorization);
      try {
        const { error, results } = await operation(socket.client, payload).ended;
        expect(error).toBeUndefined();
        expect(results.map((result) => result.errors?.map((one) => one.extensions?.code))).toEqual([[httpCode]]);
      } finally {
        await socket.client.dispose();
      }
    }
    expect(gateway.gateway.events.subscribers()).toBe(0);

    // The listed document, named by its hash, opens a stream.
    const socket = connect(gateway, stack.authorization);
    try {
      operation(socket.client, {
        query: '',
        variables: { accountId: acme.id },
        extensions: { persistedQuery: { version: 1, sha256Hash: sha256(EVENTS) } },
      });
      await until(() => gateway.gateway.events.subscribers() === 1);
    } finally {
      await socket.client.dispose();
    }
    await until(() => gateway.gateway.events.subscribers() === 0);
  });
});
