/**
 * Live subscriptions and a real SIGTERM: `node dist/server.js` serving one graphql-sse stream and
 * one graphql-ws subscription ends both as it drains (the SSE stream completes, the WebSocket
 * closes with 1001 Going Away), then exits 0, with the events in process or through Redis (whose
 * connections, up or lost, must not keep the process alive or fail its exit).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator/emulator.js';
import { DEMO } from '../../src/emulator/seed.js';
import { killLeftoverProcesses, startProcess } from '../support/child-process.js';
import { served, settings } from '../support/lifecycle.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { subscribe, type Subscriber } from '../support/subscribers.js';

const QUERY = 'subscription Live($a: ID!) { accountMembershipEvents(accountId: $a) { type membershipId } }';

let emulator: Emulator | undefined;
let redis: TestRedis | undefined;
const open: Subscriber[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((subscriber) => subscriber.close()));
  await killLeftoverProcesses();
  await emulator?.close();
  await redis?.close();
  redis = undefined;
});

async function openSubscriptions(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith('graphql_subscriptions_open '));
  return Number(line?.slice('graphql_subscriptions_open '.length));
}

describe('node dist/server.js with live subscriptions', () => {
  it.each(['in process', 'through Redis', 'through a Redis that stopped'] as const)(
    'completes the SSE stream, closes the WebSocket with 1001 and exits 0 on SIGTERM (events %s)',
    async (events) => {
      emulator = createEmulator();
      const upstreamUrl = await emulator.listen(0);
      const authorization = `Bearer ${emulator.issueToken()}`;
      if (events !== 'in process') redis = await startRedis();
      const env = { EP_API_BASE_URL: upstreamUrl, ...(redis && { REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '1000' }) };
      const server = await served(startProcess('dist/server.js', { env: settings(env) }));
      const options = { gatewayUrl: server.url, query: QUERY, variables: { a: DEMO.accounts.acme.id }, authorization };
      const sse = subscribe('sse', options);
      const ws = subscribe('ws', options);
      open.push(sse, ws);
      while ((await openSubscriptions(server.url)) < 2) await new Promise((resolve) => setTimeout(resolve, 20));
      if (events === 'through a Redis that stopped') {
        await redis!.stop();
        await server.waitFor(/membership events: Redis unavailable/);
      }

      void server.stop('SIGTERM');
      expect(await sse.ended).toEqual({ completed: true });
      expect(await ws.closed).toMatchObject({ code: 1001 });
      expect(await server.exited).toBe(0);
      const output = server.output();
      expect(output.match(/"endReason":"closing"/g)).toHaveLength(2);
      expect(output).toContain('"msg":"stopped"');
      expect(output).not.toContain(authorization.slice('Bearer '.length));
    },
  );
});
