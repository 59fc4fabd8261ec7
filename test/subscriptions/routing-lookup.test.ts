/**
 * Routing an event whose record does not name its account (no `links.self`) for a membership the
 * gateway has never seen: with EP_CLIENT_ID and EP_CLIENT_SECRET the gateway looks it up through
 * the member's memberships with its own client_credentials token; without them, or when the lookup
 * fails, the event is counted as unroutable. Against the emulator, on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator } from '../../src/emulator/emulator.js';
import { DEMO } from '../../src/emulator/seed.js';
import { createGatewayToken } from '../../src/upstream/client-credentials.js';
import { deliver as deliverTo, membershipDelivery, WEBHOOK_SECRET } from '../support/deliveries.js';
import { startStack, type Stack } from '../support/stack.js';
import { subscribe, type Subscriber } from '../support/subscribers.js';

const { acme } = DEMO.accounts;
const { tom, andy } = DEMO.members;
const SECRET = WEBHOOK_SECRET;
const EVENTS = /* GraphQL */ `
  subscription Live($accountId: ID!) {
    accountMembershipEvents(accountId: $accountId) { id type source accountId membershipId accountMemberId }
  }
`;

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** A membership created straight in the emulator (as Commerce Manager would) and its delivery, without links. */
function createdElsewhere(stack: Stack, memberId: string) {
  const dto = stack.emulator.store.addMembership(acme.id, memberId);
  return { membershipId: dto.id, delivery: membershipDelivery('account-membership.created', { ...dto, links: {} }) };
}

async function deliver(stack: Stack, body: unknown): Promise<{ status: number; outcome: string }> {
  const response = await deliverTo(stack.gateway.url, body);
  return { status: response.status, outcome: ((await response.json()) as { outcome: string }).outcome };
}

async function unroutable(stack: Stack): Promise<number> {
  const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((candidate) => candidate.startsWith('membership_events_total{source="ELASTIC_PATH",type="CREATED",outcome="unroutable"} '));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('with EP_CLIENT_ID and EP_CLIENT_SECRET', () => {
  let stack: Stack;
  let subscriber: Subscriber;
  beforeAll(async () => {
    stack = await startStack({
      gateway: { env: { EP_WEBHOOK_SECRET: SECRET, EP_CLIENT_ID: 'demo-client', EP_CLIENT_SECRET: 'demo-secret' } },
    });
    subscriber = subscribe('sse', {
      gatewayUrl: stack.gateway.url,
      query: EVENTS,
      variables: { accountId: acme.id },
      authorization: stack.authorization,
    });
    await until(() => stack.gateway.gateway.events.subscribers() === 1);
  });
  afterAll(async () => {
    await subscriber?.close();
    await stack?.close();
  });

  it("routes a membership it never saw through the member's memberships, with its own token, fetched once", async () => {
    stack.emulator.clearRequests();
    const first = createdElsewhere(stack, tom.id);
    expect(await deliver(stack, first.delivery)).toEqual({ status: 200, outcome: 'published' });
    const { data } = await subscriber.next();
    expect(data?.accountMembershipEvents).toEqual({
      id: first.delivery.id,
      type: 'CREATED',
      source: 'ELASTIC_PATH',
      accountId: acme.id,
      membershipId: first.membershipId,
      accountMemberId: tom.id,
    });

    const second = createdElsewhere(stack, andy.id);
    expect(await deliver(stack, second.delivery)).toEqual({ status: 200, outcome: 'published' });
    expect((await subscriber.next()).data?.accountMembershipEvents).toMatchObject({
      accountId: acme.id,
      membershipId: second.membershipId,
    });

    // One token request, form-encoded, as Elastic Path takes it.
    const logins = stack.emulator.requests.filter((request) => request.path === '/oauth/access_token');
    expect(logins).toHaveLength(1);
    expect(logins[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(logins[0]!.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'demo-client',
      client_secret: 'demo-secret',
    });

    // The lookups went to the members' memberships with the gateway's token, not the subscriber's.
    const lookups = stack
      .upstreamCalls()
      .filter((call) => call.path.endsWith('/account-memberships') && call.path.startsWith('/v2/account-members/'));
    expect(lookups.map((call) => call.path)).toEqual([
      `/v2/account-members/${tom.id}/account-memberships`,
      `/v2/account-members/${andy.id}/account-memberships`,
    ]);
    const gatewayToken = lookups[0]!.headers.authorization!;
    expect(gatewayToken).toMatch(/^Bearer \S{20,}$/);
    expect(gatewayToken).not.toBe(stack.authorization);
    expect(lookups[1]!.headers.authorization).toBe(gatewayToken);
    expect(await unroutable(stack)).toBe(0);

    // A caller's request never carries it, even one sent without a token of its own.
    stack.emulator.clearRequests();
    const anonymous = await stack.gateway.post({ query: `{ account(id: "${acme.id}") { id } }` });
    expect(anonymous.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(stack.upstreamCalls().filter((call) => call.headers.authorization === gatewayToken)).toEqual([]);
    // Never logged, nor the secret it was fetched with.
    const logs = stack.gateway.logs.join('\n');
    expect(logs).not.toContain(gatewayToken.slice('Bearer '.length));
    expect(logs).not.toContain('demo-secret');
  });

  it('counts the event as unroutable when the lookup fails', async () => {
    stack.reset();
    // The membership is gone by the time the lookup asks: the member's memberships do not name it.
    const gone = createdElsewhere(stack, tom.id);
    stack.emulator.store.removeMembership(acme.id, gone.membershipId);
    const before = await unroutable(stack);
    expect(await deliver(stack, gone.delivery)).toEqual({ status: 200, outcome: 'unroutable' });
    expect(await unroutable(stack)).toBe(before + 1);
    expect(subscriber.pending()).toBe(0);
  });
});

describe('without EP_CLIENT_ID and EP_CLIENT_SECRET', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ gateway: { env: { EP_WEBHOOK_SECRET: SECRET } } });
  });
  afterAll(() => stack?.close());

  it('counts a membership it never saw, delivered without links, as unroutable and asks Elastic Path nothing', async () => {
    const subscriber = subscribe('sse', {
      gatewayUrl: stack.gateway.url,
      query: EVENTS,
      variables: { accountId: acme.id },
      authorization: stack.authorization,
    });
    try {
      await until(() => stack.gateway.gateway.events.subscribers() === 1);
      stack.emulator.clearRequests();
      const { delivery } = createdElsewhere(stack, tom.id);
      expect(await deliver(stack, delivery)).toEqual({ status: 200, outcome: 'unroutable' });
      expect(await unroutable(stack)).toBe(1);
      expect(stack.emulator.requests).toEqual([]);
      expect(subscriber.pending()).toBe(0);
    } finally {
      await subscriber.close();
    }
  });
});

describe("the gateway's token", () => {
  it('is kept until shortly before it expires, then fetched again; refused credentials fetch none', async () => {
    const emulator = createEmulator({ tokenLifetimeS: 100 });
    const upstream = await emulator.listen(0);
    try {
      let clock = 1_000_000;
      const token = createGatewayToken(
        { epApiBaseUrl: upstream, epApiTimeoutMs: 5000, clientId: 'demo-client', clientSecret: 'demo-secret' },
        () => clock,
      );
      const logins = () => emulator.requests.filter((request) => request.path === '/oauth/access_token').length;
      const [first, same] = await Promise.all([token.authorization(), token.authorization()]);
      expect(same).toBe(first);
      expect(logins()).toBe(1);
      // A hundred seconds' token is renewed ten seconds early.
      clock += 89_000;
      expect(await token.authorization()).toBe(first);
      expect(logins()).toBe(1);
      clock += 2_000;
      const renewed = await token.authorization();
      expect(renewed).not.toBe(first);
      expect(logins()).toBe(2);

      const wrong = createGatewayToken({
        epApiBaseUrl: upstream,
        epApiTimeoutMs: 5000,
        clientId: 'demo-client',
        clientSecret: 'not-the-secret',
      });
      const refusal = await wrong.authorization().catch((error: unknown) => error);
      expect(String(refusal)).toMatch(/refused the gateway's client credentials \(HTTP 401\)/);
      expect(String(refusal)).not.toContain('not-the-secret');
    } finally {
      await emulator.close();
    }
  });
});
