/**
 * A subscription's life beyond its events: a token that expires mid-stream, and the drain that
 * SIGTERM starts (readiness drops first, then SSE streams end and WebSockets close with 1001).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import { startStack, type Stack } from '../support/stack.js';
import { subscribe } from '../support/subscribers.js';

const { acme } = DEMO.accounts;
const QUERY = 'subscription($a: ID!) { accountMembershipEvents(accountId: $a) { type membershipId } }';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe.each(['sse', 'ws'] as const)('over %s', (transport) => {
  it('ends the stream with UNAUTHENTICATED once Elastic Path refuses the token it was opened with', async () => {
    stack = await startStack({ emulator: { tokenLifetimeS: 1 }, gateway: { env: { SUBSCRIPTION_AUTH_RECHECK_MS: '100' } } });
    const running = stack;
    const subscriber = subscribe(transport, {
      gatewayUrl: running.gateway.url,
      query: QUERY,
      variables: { a: acme.id },
      authorization: running.authorization,
    });
    await until(() => running.gateway.gateway.events.subscribers() === 1);
    // The token lapses after a second; the next check after that ends the stream.
    const result = await subscriber.next();
    expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect((await subscriber.ended).completed).toBe(true);
    expect(running.gateway.gateway.events.subscribers()).toBe(0);
    const checks = running.upstreamCalls().filter((call) => call.path === `/v2/accounts/${acme.id}/account-memberships`);
    expect(checks.length).toBeGreaterThan(1);
    expect(checks.at(-1)?.headers.authorization).toBe(running.authorization);
    const metrics = await (await fetch(`${running.gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/graphql_subscriptions_ended_total\{reason="unauthorized"\} 1/);
  });
});

describe('drain', () => {
  it('drops readiness first, then ends SSE streams and closes WebSockets with 1001', async () => {
    stack = await startStack({ gateway: { env: { SHUTDOWN_DELAY_MS: '300' } } });
    const running = stack;
    const sse = subscribe('sse', {
      gatewayUrl: running.gateway.url,
      query: QUERY,
      variables: { a: acme.id },
      authorization: running.authorization,
    });
    const ws = subscribe('ws', {
      gatewayUrl: running.gateway.url,
      query: QUERY,
      variables: { a: acme.id },
      authorization: running.authorization,
    });
    await until(() => running.gateway.gateway.events.subscribers() === 2);
    let sseEnded = false;
    void sse.ended.then(() => (sseEnded = true));
    const closing = running.gateway.gateway.close();
    // Readiness answers 503 while both streams are still open.
    const readiness = await fetch(`${running.gateway.url}/readiness`);
    expect(readiness.status).toBe(503);
    expect(sseEnded).toBe(false);
    expect(running.gateway.gateway.events.subscribers()).toBe(2);
    expect(await sse.ended).toEqual({ completed: true });
    expect(await ws.closed).toMatchObject({ code: 1001 });
    await closing;
    const logs = running.gateway.logs.join('\n');
    expect(logs.match(/"endReason":"closing"/g)?.length).toBe(2);
  });
});
