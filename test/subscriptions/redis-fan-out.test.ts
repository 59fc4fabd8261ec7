/**
 * `accountMembershipEvents` across two replicas sharing one real Redis (REDIS_URL): a webhook
 * delivered to one replica reaches subscribers of the other, a change delivered to both is seen
 * once, and a Redis that goes away and comes back costs each subscriber a RESYNC, never a failed
 * write. Both replicas, the emulator and Redis are real servers on loopback.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { deletionDelivery, deliver as deliverTo, membershipDelivery, WEBHOOK_SECRET } from '../support/deliveries.js';
import { startStack, type Stack } from '../support/stack.js';
import { subscribe, type Subscriber } from '../support/subscribers.js';

const { acme } = DEMO.accounts;
const { andy, tom } = DEMO.members;
const SECRET = WEBHOOK_SECRET;
const EVENTS = /* GraphQL */ `
  subscription Live($accountId: ID!) {
    accountMembershipEvents(accountId: $accountId) { id type source accountId membershipId membership { id accountMember { id } } }
  }
`;

let redis: TestRedis;
let stack: Stack;
let replicaA: TestGateway;
let replicaB: TestGateway;
let inspector: Redis;
const open: Subscriber[] = [];

beforeAll(async () => {
  redis = await startRedis();
  // A shared machine can stall a process for tens of milliseconds: 1 s keeps the tests off the
  // failure path except where they stop Redis.
  const env = { REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '1000', EP_WEBHOOK_SECRET: SECRET };
  stack = await startStack({ gateway: { env } });
  replicaA = stack.gateway;
  replicaB = await startGateway({ upstreamUrl: stack.upstreamUrl, env });
  inspector = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: null });
  inspector.on('error', () => {});
  await inspector.connect();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((subscriber) => subscriber.close()));
  await until(() => replicaA.gateway.events.subscribers() === 0 && replicaB.gateway.events.subscribers() === 0);
  stack.reset();
});
afterAll(async () => {
  inspector?.disconnect();
  await replicaB?.close();
  await stack?.close();
  await redis?.close();
});

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Redis's own count of listeners on an account's channel: a replica's subscription is in force. */
async function listenersInRedis(accountId: string): Promise<number> {
  const [, count] = (await inspector.call('PUBSUB', 'NUMSUB', `account-membership:${accountId}`)) as [string, number];
  return Number(count);
}

/** Subscribes on one replica, and waits until Redis carries the account's events to it. */
async function subscribedOn(replica: TestGateway, expectedListeners = 1): Promise<Subscriber> {
  const subscriber = subscribe('sse', {
    gatewayUrl: replica.url,
    query: EVENTS,
    variables: { accountId: acme.id },
    authorization: stack.authorization,
  });
  open.push(subscriber);
  await until(async () => (await listenersInRedis(acme.id)) >= expectedListeners);
  return subscriber;
}

const deliver = (replica: TestGateway, body: unknown) => deliverTo(replica.url, body);

/** A membership made in the emulator straight away, and Elastic Path's delivery announcing it. */
function createdElsewhere(memberId: string) {
  const dto = stack.emulator.store.addMembership(acme.id, memberId);
  const record = { ...dto, links: { self: `${stack.upstreamUrl}/v2/accounts/${acme.id}/account-memberships/${dto.id}` } };
  return { membershipId: dto.id, delivery: membershipDelivery('account-membership.created', record) };
}

async function createThrough(replica: TestGateway, memberId: string) {
  const result = await replica.post(
    {
      query:
        'mutation($a: ID!, $m: ID!) { createAccountMembership(accountId: $a, accountMemberId: $m) { __typename ... on AccountMembership { id } } }',
      variables: { a: acme.id, m: memberId },
    },
    { authorization: stack.authorization },
  );
  return result;
}

describe('two replicas sharing one Redis', () => {
  it('delivers a webhook received by one replica to a graphql-sse subscriber on the other', async () => {
    const onB = await subscribedOn(replicaB);
    const { membershipId, delivery } = createdElsewhere(tom.id);
    const response = await deliver(replicaA, delivery);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ outcome: 'published' });
    const { data, errors } = await onB.next();
    expect(errors).toBeUndefined();
    expect(data?.accountMembershipEvents).toEqual({
      id: delivery.id,
      type: 'CREATED',
      source: 'ELASTIC_PATH',
      accountId: acme.id,
      membershipId,
      membership: { id: membershipId, accountMember: { id: tom.id } },
    });
    expect(replicaA.gateway.events.subscribers()).toBe(0);
  });

  it('publishes a change delivered to both replicas once, to the subscribers of each', async () => {
    const onA = await subscribedOn(replicaA, 1);
    const onB = await subscribedOn(replicaB, 2);
    const { membershipId, delivery } = createdElsewhere(tom.id);
    const answers = await Promise.all([deliver(replicaA, delivery), deliver(replicaB, { ...delivery, attempt: 2 })]);
    const outcomes = await Promise.all(answers.map(async (response) => ((await response.json()) as { outcome: string }).outcome));
    expect(outcomes.sort()).toEqual(['duplicate', 'published']);
    // The deletion the route learnt by the create (on whichever replica) follows; had the create
    // been published twice, its copy would come before it.
    const deletion = deletionDelivery(membershipId);
    expect(await (await deliver(replicaB, deletion)).json()).toEqual({ outcome: 'published' });
    expect(await (await deliver(replicaA, { ...deletion, attempt: 2 })).json()).toEqual({ outcome: 'duplicate' });
    for (const subscriber of [onA, onB]) {
      const types = [(await subscriber.next()).data?.accountMembershipEvents, (await subscriber.next()).data?.accountMembershipEvents];
      expect(types.map((event) => [event.type, event.membershipId])).toEqual([
        ['CREATED', membershipId],
        ['DELETED', membershipId],
      ]);
      expect(subscriber.pending()).toBe(0);
    }
  });

  it('answers 503 while Redis is down, never fails a write, and sends every subscriber a RESYNC once Redis is back', async () => {
    const onA = await subscribedOn(replicaA, 1);
    const onB = await subscribedOn(replicaB, 2);
    await redis.stop();
    await until(async () => (await metric(replicaA, 'membership_events_redis_connected')) === 0);

    // Elastic Path's delivery cannot be handed to the bus: 503, so that it is delivered again.
    const { membershipId, delivery } = createdElsewhere(tom.id);
    const refused = await deliver(replicaA, delivery);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ outcome: 'unavailable' });
    // The gateway's own write succeeds; only its announcement is lost.
    const written = await createThrough(replicaB, andy.id);
    expect(written.errors).toBeUndefined();
    expect(written.data?.createAccountMembership).toMatchObject({ __typename: 'AccountMembership' });

    await redis.start();
    for (const subscriber of [onA, onB]) {
      const { data } = await subscriber.next();
      expect(data?.accountMembershipEvents).toMatchObject({
        type: 'RESYNC',
        source: 'GATEWAY',
        accountId: acme.id,
        membershipId: null,
        membership: null,
      });
    }
    // Elastic Path delivers again, and this time it reaches both replicas' subscribers.
    await until(async () => (await metric(replicaA, 'membership_events_redis_connected')) === 1);
    expect(await (await deliver(replicaA, { ...delivery, attempt: 2 })).json()).toEqual({ outcome: 'published' });
    for (const subscriber of [onA, onB]) {
      const { data } = await subscriber.next();
      expect(data?.accountMembershipEvents).toMatchObject({ type: 'CREATED', id: delivery.id, membershipId });
    }
    const metrics = await (await fetch(`${replicaA.url}/metrics`)).text();
    expect(metrics).toMatch(/webhook_deliveries_total\{outcome="unavailable"\} 1/);
    // Each switch logged once: shared at start and again once back, unavailable once in between.
    const logs = replicaA.logs.join('\n');
    expect(logs.match(/"msg":"membership events shared through Redis"/g)).toHaveLength(2);
    expect(logs.match(/"msg":"membership events: Redis unavailable[^"]*"/g)).toHaveLength(1);
  });
});

async function metric(replica: TestGateway, name: string): Promise<number> {
  const text = await (await fetch(`${replica.url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}
