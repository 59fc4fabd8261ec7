/**
 * `accountMembershipEvents` with the clients frontends use (graphql-sse, graphql-ws), against the
 * gateway and the emulator: both sources, duplicates and order, routing, authorization, cost,
 * slow subscribers, and the limits and memory their settings give.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import { deletionDelivery, deliver as deliverTo, membershipDelivery, WEBHOOK_SECRET } from '../support/deliveries.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startStack, type Stack } from '../support/stack.js';
import { subscribe, type Subscriber, type Transport } from '../support/subscribers.js';

const { acme } = DEMO.accounts;
const { andy, tom } = DEMO.members;
const SECRET = WEBHOOK_SECRET;

const EVENTS = /* GraphQL */ `
  subscription Live($accountId: ID!) {
    accountMembershipEvents(accountId: $accountId) {
      id type accountId membershipId accountMemberId source occurredAt receivedAt
      membership { id createdAt accountMember { id name } }
    }
  }
`;
const IDS_ONLY = /* GraphQL */ `
  subscription LiveIds($accountId: ID!) {
    accountMembershipEvents(accountId: $accountId) { id type membershipId source membership { id accountMember { id } } }
  }
`;

const TYPES_ONLY = 'subscription Types($accountId: ID!) { accountMembershipEvents(accountId: $accountId) { type membershipId } }';

let stack: Stack;
const open: Subscriber[] = [];
/** Gateways a test starts beside the stack's, with settings of its own, on the same emulator. */
const gateways: TestGateway[] = [];
beforeAll(async () => {
  stack = await startStack({ gateway: { env: { EP_WEBHOOK_SECRET: SECRET, SUBSCRIPTION_BUFFER: '4' } } });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((subscriber) => subscriber.close()));
  await until(() => stack.gateway.gateway.events.subscribers() === 0);
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
  vi.useRealTimers();
  stack.reset();
});
afterAll(() => stack.close());

/** Waits for a condition the gateway reaches on its own (a subscriber registered, a stream gone). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

async function subscribed(
  transport: Transport,
  options: { query?: string; accountId?: string; authorization?: string; gateway?: TestGateway } = {},
) {
  const gateway = options.gateway ?? stack.gateway;
  const before = gateway.gateway.events.subscribers();
  const subscriber = subscribe(transport, {
    gatewayUrl: gateway.url,
    query: options.query ?? EVENTS,
    variables: { accountId: options.accountId ?? acme.id },
    authorization: options.authorization ?? stack.authorization,
  });
  open.push(subscriber);
  await until(() => gateway.gateway.events.subscribers() > before);
  return subscriber;
}

const deliver = (body: unknown, secret = SECRET) => deliverTo(stack.gateway.url, body, secret);

/** Another gateway on the stack's emulator, receiving webhooks, with `env` as an operator would set it. */
async function gatewayWith(env: Record<string, string>): Promise<TestGateway> {
  const gateway = await startGateway({ upstreamUrl: stack.upstreamUrl, env: { EP_WEBHOOK_SECRET: SECRET, ...env } });
  gateways.push(gateway);
  return gateway;
}

/** Adds a membership straight in the emulator, as Commerce Manager would: the gateway does not see it. */
function addedElsewhere(accountId: string, memberId: string, links: 'self' | 'empty' = 'self') {
  const dto = stack.emulator.store.addMembership(accountId, memberId);
  return {
    ...dto,
    links: links === 'self' ? { self: `${stack.upstreamUrl}/v2/accounts/${accountId}/account-memberships/${dto.id}` } : {},
  };
}

async function gatewayCreate(accountId: string, memberId: string): Promise<string> {
  const result = await stack.gateway.post(
    {
      query:
        'mutation($a: ID!, $m: ID!) { createAccountMembership(accountId: $a, accountMemberId: $m) { __typename ... on AccountMembership { id } } }',
      variables: { a: accountId, m: memberId },
    },
    { authorization: stack.authorization },
  );
  const created = result.data?.createAccountMembership as { __typename: string; id: string };
  expect(created.__typename).toBe('AccountMembership');
  return created.id;
}

describe.each(['sse', 'ws'] as const)('over %s', (transport) => {
  it("delivers the gateway's own create at once, resolved with the subscriber's token", async () => {
    const subscriber = await subscribed(transport);
    const membershipId = await gatewayCreate(acme.id, andy.id);
    const { data, errors } = await subscriber.next();
    expect(errors).toBeUndefined();
    expect(data?.accountMembershipEvents).toMatchObject({
      type: 'CREATED',
      source: 'GATEWAY',
      accountId: acme.id,
      membershipId,
      accountMemberId: andy.id,
      membership: { id: membershipId, accountMember: { id: andy.id, name: andy.name } },
    });
    expect(data?.accountMembershipEvents.receivedAt).toMatch(/Z$/);
    // The member's name was read for this subscriber, with its token.
    const reads = stack.upstreamCalls().filter((call) => call.path === `/v2/account-members/${andy.id}`);
    expect(reads.map((call) => call.headers.authorization)).toEqual([stack.authorization]);
  });

  it("delivers a change made elsewhere from Elastic Path's webhook, once however often it is delivered", async () => {
    const subscriber = await subscribed(transport, { query: IDS_ONLY });
    const record = addedElsewhere(acme.id, tom.id);
    const delivery = membershipDelivery('account-membership.created', record);
    expect(await (await deliver(delivery)).json()).toEqual({ outcome: 'published' });
    // A redelivery (same id, next attempt) is acknowledged and dropped.
    expect(await (await deliver({ ...delivery, attempt: 2 })).json()).toEqual({ outcome: 'duplicate' });
    // Then the deletion, routed by the account the create taught the gateway.
    expect(await (await deliver(deletionDelivery(record.id))).json()).toEqual({ outcome: 'published' });
    const created = await subscriber.next();
    const deleted = await subscriber.next();
    expect(created.data?.accountMembershipEvents).toMatchObject({
      type: 'CREATED',
      source: 'ELASTIC_PATH',
      id: delivery.id,
      membershipId: record.id,
      membership: { id: record.id, accountMember: { id: tom.id } },
    });
    expect(deleted.data?.accountMembershipEvents).toMatchObject({
      type: 'DELETED',
      source: 'ELASTIC_PATH',
      membershipId: record.id,
      membership: null,
    });
    expect(subscriber.pending()).toBe(0);
    // Ids and the event's own record cost no call.
    expect(stack.upstreamCalls().filter((call) => call.path.startsWith('/v2/account-members/'))).toEqual([]);
  });

  it("refuses a token that cannot read the account's memberships before the stream starts", async () => {
    const implicit = `Bearer ${stack.emulator.issueToken('implicit')}`;
    const subscriber = subscribe(transport, {
      gatewayUrl: stack.gateway.url,
      query: EVENTS,
      variables: { accountId: acme.id },
      authorization: implicit,
    });
    open.push(subscriber);
    const result = await subscriber.next();
    expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(stack.gateway.gateway.events.subscribers()).toBe(0);
  });

  it('refuses a subscription past SUBSCRIPTIONS_MAX with SUBSCRIPTION_LIMIT, and takes one again once an open one ends', async () => {
    const gateway = await gatewayWith({ SUBSCRIPTIONS_MAX: '2' });
    const first = await subscribed(transport, { gateway, query: TYPES_ONLY });
    const second = await subscribed(transport, { gateway, query: TYPES_ONLY });
    const third = subscribe(transport, {
      gatewayUrl: gateway.url,
      query: TYPES_ONLY,
      variables: { accountId: acme.id },
      authorization: stack.authorization,
    });
    open.push(third);
    const refused = await third.next();
    expect(refused.errors).toEqual([
      expect.objectContaining({
        message: 'This gateway already serves its limit of 2 subscriptions. Try again shortly.',
        extensions: expect.objectContaining({ code: 'SUBSCRIPTION_LIMIT' }),
      }),
    ]);
    expect(await third.ended).toMatchObject({ completed: true });
    // The two open streams go on: both receive the next change.
    const record = addedElsewhere(acme.id, tom.id);
    const published = await deliverTo(gateway.url, membershipDelivery('account-membership.created', record));
    expect(await published.json()).toEqual({ outcome: 'published' });
    for (const subscriber of [first, second]) {
      expect((await subscriber.next()).data?.accountMembershipEvents).toEqual({ type: 'CREATED', membershipId: record.id });
    }
    // The limit counts open subscriptions, not those ever opened: once one ends, there is room again.
    await first.close();
    await until(() => gateway.gateway.events.subscribers() === 1);
    await subscribed(transport, { gateway, query: TYPES_ONLY });
    expect(gateway.gateway.events.subscribers()).toBe(2);
  });
});

describe('Elastic Path and the gateway announcing the same change', () => {
  it('publishes a create once, whichever source comes first', async () => {
    const subscriber = await subscribed('sse', { query: IDS_ONLY });
    const membershipId = await gatewayCreate(acme.id, andy.id);
    const stored = stack.emulator.store.getMembership(acme.id, membershipId)!;
    const response = await deliver(membershipDelivery('account-membership.created', { ...stored.dto, links: {} }));
    expect(await response.json()).toEqual({ outcome: 'duplicate' });

    // Elastic Path's copy first (before the gateway saw its own answer) is the one published.
    const record = addedElsewhere(acme.id, tom.id, 'empty');
    await stack.gateway.gateway.events.rememberAccount(record.id, acme.id);
    expect(await (await deliver(membershipDelivery('account-membership.created', record))).json()).toEqual({ outcome: 'published' });
    const first = await subscriber.next();
    const second = await subscriber.next();
    expect([first, second].map((result) => result.data?.accountMembershipEvents.source)).toEqual(['GATEWAY', 'ELASTIC_PATH']);
    expect(subscriber.pending()).toBe(0);
  });

  it('drops a create that arrives after its delete (a tombstone), and counts it', async () => {
    const subscriber = await subscribed('sse', { query: IDS_ONLY });
    const record = addedElsewhere(acme.id, tom.id);
    await stack.gateway.gateway.events.rememberAccount(record.id, acme.id);
    expect(await (await deliver(deletionDelivery(record.id))).json()).toEqual({ outcome: 'published' });
    expect(await (await deliver(membershipDelivery('account-membership.created', record))).json()).toEqual({ outcome: 'tombstoned' });
    const deleted = await subscriber.next();
    expect(deleted.data?.accountMembershipEvents).toMatchObject({ type: 'DELETED', membershipId: record.id });
    const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/membership_events_total\{source="ELASTIC_PATH",type="CREATED",outcome="tombstoned"\} 1/);
    expect(subscriber.pending()).toBe(0);
  });

  it('publishes a redelivered event again once EVENT_MEMORY_TTL_MS has passed, and drops it as a duplicate until then', async () => {
    // Only Date is faked (sockets and timers keep real time), before the gateway starts: its event
    // store takes Date.now as its clock when it is made, and the test moves that clock.
    vi.useFakeTimers({ toFake: ['Date'] });
    const gateway = await gatewayWith({ EVENT_MEMORY_TTL_MS: '1000' });
    const subscriber = await subscribed('sse', { gateway, query: TYPES_ONLY });
    const record = addedElsewhere(acme.id, tom.id);
    const delivery = membershipDelivery('account-membership.created', record);
    const outcome = async (attempt: number) => (await (await deliverTo(gateway.url, { ...delivery, attempt })).json()).outcome;
    const deliveredAt = Date.now();
    expect(await outcome(1)).toBe('published');
    vi.setSystemTime(deliveredAt + 999);
    expect(await outcome(2)).toBe('duplicate');
    vi.setSystemTime(deliveredAt + 1000);
    expect(await outcome(3)).toBe('published');
    // The subscriber receives the change twice: past the TTL, the redelivery is new to the gateway.
    for (let time = 0; time < 2; time++) {
      expect((await subscriber.next()).data?.accountMembershipEvents).toEqual({ type: 'CREATED', membershipId: record.id });
    }
    expect(subscriber.pending()).toBe(0);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/membership_events_total\{source="ELASTIC_PATH",type="CREATED",outcome="published"\} 2/);
    expect(metrics).toMatch(/membership_events_total\{source="ELASTIC_PATH",type="CREATED",outcome="duplicate"\} 1/);
  });

  it('counts a deletion of a membership it never saw as unroutable instead of guessing', async () => {
    const response = await deliver(deletionDelivery(randomUUID()));
    expect(await response.json()).toEqual({ outcome: 'unroutable' });
    const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/membership_events_total\{source="ELASTIC_PATH",type="DELETED",outcome="unroutable"\} [1-9]/);
  });
});

describe('the webhook receiver', () => {
  it('refuses a wrong or missing secret and a malformed body, and acknowledges unknown event types', async () => {
    expect((await deliver(deletionDelivery(randomUUID()), 'wrong')).status).toBe(401);
    const missing = await fetch(`${stack.gateway.url}/webhooks/elastic-path`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(missing.status).toBe(401);
    const malformed = await deliver({ id: 'x', triggered_by: 'account-membership.created', attempt: 1, payload: { data: { id: 'nope' } } });
    expect(malformed.status).toBe(400);
    const unknown = await deliver({ id: randomUUID(), triggered_by: 'order.paid', attempt: 1, payload: { data: {} } });
    expect(unknown.status).toBe(200);
    expect(await unknown.json()).toEqual({ outcome: 'ignored' });
    const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    for (const outcome of ['unauthorized', 'malformed', 'ignored'])
      expect(metrics).toMatch(new RegExp(`webhook_deliveries_total\\{outcome="${outcome}"\\} [1-9]`));
    // The secret the body echoes never reaches the logs.
    expect(stack.gateway.logs.join('\n')).not.toContain(SECRET);
  });
});

describe('limits', () => {
  it('ends a subscriber that falls behind with SLOW_SUBSCRIBER instead of buffering without bound', async () => {
    const subscriber = await subscribed('ws');
    // Each event reads its member's name; Elastic Path now takes seconds to answer, so the first
    // event is still being resolved while the next twelve arrive (the buffer holds 4).
    stack.emulator.faults.set({ latencyMs: 3000, methods: ['GET'] });
    for (let index = 0; index < 12; index++) {
      const record = addedElsewhere(acme.id, index % 2 === 0 ? andy.id : tom.id);
      stack.emulator.store.removeMembership(acme.id, record.id);
      expect(await (await deliver(membershipDelivery('account-membership.created', record))).json()).toEqual({ outcome: 'published' });
    }
    const results = [];
    for (;;) {
      const result = await subscriber.next().catch(() => undefined);
      if (!result) break;
      results.push(result);
      if (result.errors) break;
    }
    expect(results.at(-1)?.errors?.map((error) => error.extensions?.code)).toEqual(['SLOW_SUBSCRIBER']);
    expect(results.length).toBeLessThan(12);
    await subscriber.ended;
    const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/graphql_subscriptions_ended_total\{reason="slow"\} 1/);
  });

  it('refuses a selection that could cost one event more than its budget, before any call', async () => {
    const costly = /* GraphQL */ `subscription { accountMembershipEvents(accountId: "${acme.id}") { membership { accountMember { memberships(first: 100) { edges { node { account { memberships(first: 100) { totalCount } } } } } } } } }`;
    const subscriber = subscribe('sse', { gatewayUrl: stack.gateway.url, query: costly, authorization: stack.authorization });
    open.push(subscriber);
    const result = await subscriber.next();
    expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['UPSTREAM_BUDGET_EXCEEDED']);
    expect(stack.upstreamCalls()).toEqual([]);
  });

  it('serves a selection whose event costs exactly SUBSCRIPTION_EVENT_MAX_CALLS and refuses one a call more', async () => {
    const gateway = await gatewayWith({ SUBSCRIPTION_EVENT_MAX_CALLS: '2' });
    // Per event: the member's read and the account's read; the account's parent is a third.
    const atLimit = `subscription { accountMembershipEvents(accountId: "${acme.id}") { membership { accountMember { name } account { name } } } }`;
    const overLimit = `subscription { accountMembershipEvents(accountId: "${acme.id}") { membership { accountMember { name } account { name parent { name } } } } }`;
    const refused = subscribe('sse', { gatewayUrl: gateway.url, query: overLimit, authorization: stack.authorization });
    open.push(refused);
    expect((await refused.next()).errors).toEqual([
      expect.objectContaining({
        message: expect.stringContaining(
          'Each event of this subscription could make up to 3 Elastic Path calls; one event may make at most 2.',
        ),
        extensions: expect.objectContaining({ code: 'UPSTREAM_BUDGET_EXCEEDED', limit: 2, estimated: 3 }),
      }),
    ]);
    expect(stack.upstreamCalls()).toEqual([]);

    const served = await subscribed('sse', { gateway, query: atLimit });
    const record = addedElsewhere(acme.id, tom.id);
    expect(await (await deliverTo(gateway.url, membershipDelivery('account-membership.created', record))).json()).toEqual({
      outcome: 'published',
    });
    const { data, errors } = await served.next();
    expect(errors).toBeUndefined();
    expect(data?.accountMembershipEvents).toEqual({ membership: { accountMember: { name: tom.name }, account: { name: acme.name } } });
  });
});
