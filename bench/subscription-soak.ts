/**
 * `npm run soak:subscriptions`: subscribers connect, receive and leave, round after round, over
 * SSE (graphql-sse) and WebSocket (graphql-ws), against the gateway and the emulator in this
 * process. Events come from both sources: the gateway's own creates and deletes, and the
 * emulator's webhook deliveries of them. After a warm-up round, and again after every round, it
 * reads the heap after a full GC and the open handles; it exits non-zero if either does not return
 * to its warm level (heap within 20% + 5 MiB, handles equal) or if a subscriber missed an event.
 *
 * SOAK_ROUNDS (default 20), SOAK_SUBSCRIBERS per round (default 40), SOAK_EVENTS per round
 * (default 10: five creates and their deletes).
 */
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.js';
import { createEmulator } from '../src/emulator/emulator.js';
import { DEMO } from '../src/emulator/seed.js';
import { createGateway } from '../src/gateway.js';
import { createLogger } from '../src/observability/logger.js';

const ROUNDS = Number(process.env.SOAK_ROUNDS ?? 20);
const SUBSCRIBERS = Number(process.env.SOAK_SUBSCRIBERS ?? 40);
const PAIRS = Math.max(1, Math.floor(Number(process.env.SOAK_EVENTS ?? 10) / 2));
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run soak:subscriptions does)');

const SECRET = 'soak-webhook-secret-0123456789';
const emulator = createEmulator({ recordRequests: false });
const emulatorUrl = await emulator.listen(0);
const gateway = createGateway(
  loadConfig({
    EP_API_BASE_URL: emulatorUrl,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    EP_API_MAX_RPS: '100000',
    EP_WEBHOOK_SECRET: SECRET,
    EP_API_BULK_SHARE: '100',
    SUBSCRIPTION_BUFFER: '1000',
  }),
  createLogger('silent'),
);
const { url } = await gateway.listen();
const authorization = `Bearer ${emulator.issueToken()}`;
emulator.integrations.create({
  name: 'soak',
  description: '',
  enabled: true,
  integration_type: 'webhook',
  observes: ['account-membership.created', 'account-membership.deleted'],
  configuration: { url: `${url}/webhooks/elastic-path`, secret_key: SECRET },
});
const { acme } = DEMO.accounts;
const members = [DEMO.members.andy.id, DEMO.members.tom.id];
const QUERY = `subscription { accountMembershipEvents(accountId: "${acme.id}") { type membershipId membership { accountMember { id } } } }`;

async function post(query: string, variables: Record<string, unknown>) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data: Record<string, { id: string }> };
}

async function round(): Promise<void> {
  let received = 0;
  const expected = SUBSCRIBERS * PAIRS * 2;
  let allReceived!: () => void;
  const done = new Promise<void>((resolve) => (allReceived = resolve));
  const closers: Array<() => void> = [];
  for (let index = 0; index < SUBSCRIBERS; index++) {
    const sink = {
      next: () => {
        received += 1;
        if (received === expected) allReceived();
      },
      error: (error: unknown) => console.error('subscriber failed', error),
      complete: () => {},
    };
    if (index % 2 === 0) {
      const client = createSseClient({ url: `${url}/graphql`, headers: { authorization }, retryAttempts: 0 });
      const stop = client.subscribe({ query: QUERY }, sink);
      closers.push(() => {
        stop();
        client.dispose();
      });
    } else {
      const client = createWsClient({
        url: `${url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization },
        retryAttempts: 0,
      });
      const stop = client.subscribe({ query: QUERY }, sink);
      closers.push(() => {
        stop();
        void client.dispose();
      });
    }
  }
  while (gateway.events.subscribers() < SUBSCRIBERS) await new Promise((resolve) => setTimeout(resolve, 5));
  for (let pair = 0; pair < PAIRS; pair++) {
    const created = await post(
      'mutation($a: ID!, $m: ID!) { createAccountMembership(accountId: $a, accountMemberId: $m) { ... on AccountMembership { id } } }',
      { a: acme.id, m: members[pair % 2] },
    );
    const id = created.data.createAccountMembership!.id;
    await post('mutation($a: ID!, $id: ID!) { deleteAccountMembership(accountId: $a, id: $id) { __typename } }', { a: acme.id, id });
  }
  await done;
  await emulator.integrations.settled();
  for (const close of closers) close();
  while (gateway.events.subscribers() > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  if (received !== expected) throw new Error(`received ${received} events, expected ${expected}`);
}

async function measure() {
  // Let sockets finish closing, then collect.
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (let index = 0; index < 3; index++) gc!();
  return {
    heapMiB: process.memoryUsage().heapUsed / 2 ** 20,
    handles: process.getActiveResourcesInfo().filter((kind) => kind !== 'Timeout').length,
  };
}

const started = performance.now();
await round();
const warm = await measure();
for (let index = 0; index < ROUNDS; index++) await round();
const after = await measure();
const seconds = (performance.now() - started) / 1000;
const events = (ROUNDS + 1) * SUBSCRIBERS * PAIRS * 2;
console.log(
  `${ROUNDS + 1} rounds of ${SUBSCRIBERS} subscribers (half SSE, half WebSocket), ${PAIRS * 2} events each: ${events} events delivered in ${seconds.toFixed(1)} s`,
);
console.log(
  `heap after GC: warm ${warm.heapMiB.toFixed(1)} MiB, after ${after.heapMiB.toFixed(1)} MiB; open handles (sockets, servers): warm ${warm.handles}, after ${after.handles}`,
);
await gateway.close();
await emulator.close();
const heapOk = after.heapMiB <= warm.heapMiB * 1.2 + 5;
const handlesOk = after.handles <= warm.handles;
if (!heapOk || !handlesOk) {
  console.error('the heap or the open handles did not return to their warm level');
  process.exit(1);
}
