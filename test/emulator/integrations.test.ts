/**
 * The emulator's Integrations: webhooks registered through `/v2/integrations`, and deliveries of
 * the memberships written through its API, reaching the gateway's subscribers, with each delivery
 * fault (duplicate, delay, reorder, retry with a growing attempt).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import { startStack, type Stack } from '../support/stack.js';
import { subscribe, type Subscriber } from '../support/subscribers.js';

const { acme } = DEMO.accounts;
const { andy, tom } = DEMO.members;
const SECRET = 'integration-secret-0123456789abcdef';
const QUERY = 'subscription($a: ID!) { accountMembershipEvents(accountId: $a) { id type source membershipId accountMemberId } }';

let stack: Stack;
const open: Subscriber[] = [];
beforeAll(async () => {
  stack = await startStack({ gateway: { env: { EP_WEBHOOK_SECRET: SECRET } } });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((subscriber) => subscriber.close()));
  while (stack.gateway.gateway.events.subscribers() > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  stack.reset();
});
afterAll(() => stack.close());

/** Calls the emulator as any Elastic Path client would (curl, the SDK). */
async function rest(method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.upstreamUrl}${path}`, {
    method,
    headers: { authorization: stack.authorization, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: response.status === 204 ? undefined : ((await response.json()) as any) };
}

async function registerWebhook(secret = SECRET) {
  const created = await rest('POST', '/v2/integrations', {
    data: {
      type: 'integration',
      name: 'Gateway memberships',
      integration_type: 'webhook',
      enabled: true,
      observes: ['account-membership.created', 'account-membership.updated', 'account-membership.deleted'],
      configuration: { url: `${stack.gateway.url}/webhooks/elastic-path`, secret_key: secret },
    },
  });
  expect(created.status).toBe(200);
  return created.body.data as { id: string };
}

async function subscribed() {
  const subscriber = subscribe('sse', {
    gatewayUrl: stack.gateway.url,
    query: QUERY,
    variables: { a: acme.id },
    authorization: stack.authorization,
  });
  open.push(subscriber);
  while (stack.gateway.gateway.events.subscribers() === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  return subscriber;
}

describe('/v2/integrations', () => {
  it('creates, lists, gets and deletes a webhook integration', async () => {
    const integration = await registerWebhook();
    const listed = await rest('GET', '/v2/integrations');
    expect(listed.body.data).toEqual([
      expect.objectContaining({
        id: integration.id,
        type: 'integration',
        integration_type: 'webhook',
        configuration: { url: `${stack.gateway.url}/webhooks/elastic-path`, secret_key: SECRET },
      }),
    ]);
    expect((await rest('GET', `/v2/integrations/${integration.id}`)).status).toBe(200);
    expect((await rest('DELETE', `/v2/integrations/${integration.id}`)).status).toBe(204);
    expect((await rest('GET', '/v2/integrations')).body.data).toEqual([]);
    expect((await rest('GET', `/v2/integrations/${integration.id}`)).status).toBe(404);
    expect(
      (await rest('POST', '/v2/integrations', { data: { type: 'integration', name: 'x', observes: [], configuration: {} } })).status,
    ).toBe(422);
  });
});

describe('deliveries to the gateway', () => {
  it('delivers a membership created straight against Elastic Path to the subscription, then its deletion', async () => {
    await registerWebhook();
    const subscriber = await subscribed();
    const created = await rest('POST', `/v2/accounts/${acme.id}/account-memberships`, {
      data: { type: 'account_membership', account_member_id: andy.id },
    });
    const membershipId = created.body.data.id as string;
    expect((await subscriber.next()).data?.accountMembershipEvents).toMatchObject({
      type: 'CREATED',
      source: 'ELASTIC_PATH',
      membershipId,
      accountMemberId: andy.id,
    });
    await rest('DELETE', `/v2/accounts/${acme.id}/account-memberships/${membershipId}`);
    expect((await subscriber.next()).data?.accountMembershipEvents).toMatchObject({
      type: 'DELETED',
      source: 'ELASTIC_PATH',
      membershipId,
      accountMemberId: null,
    });
    await stack.emulator.integrations.settled();
    expect(stack.emulator.integrations.attempts.map(({ triggeredBy, attempt, status }) => [triggeredBy, attempt, status])).toEqual([
      ['account-membership.created', 1, 200],
      ['account-membership.deleted', 1, 200],
    ]);
  });

  it('publishes a duplicated, delayed delivery once', async () => {
    await registerWebhook();
    stack.emulator.integrations.faults = { duplicate: true, delayMs: 50 };
    const subscriber = await subscribed();
    await rest('POST', `/v2/accounts/${acme.id}/account-memberships`, { data: { type: 'account_membership', account_member_id: andy.id } });
    await stack.emulator.integrations.settled();
    expect(stack.emulator.integrations.attempts).toHaveLength(2);
    expect((await subscriber.next()).data?.accountMembershipEvents.type).toBe('CREATED');
    expect(subscriber.pending()).toBe(0);
    const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/webhook_deliveries_total\{outcome="duplicate"\} 1/);
  });

  it('drops a create delivered after its deletion (reordered)', async () => {
    await registerWebhook();
    stack.emulator.integrations.faults = { reorder: true };
    const subscriber = await subscribed();
    const created = await rest('POST', `/v2/accounts/${acme.id}/account-memberships`, {
      data: { type: 'account_membership', account_member_id: tom.id },
    });
    await rest('DELETE', `/v2/accounts/${acme.id}/account-memberships/${created.body.data.id}`);
    await stack.emulator.integrations.settled();
    expect(stack.emulator.integrations.attempts.map((attempt) => attempt.triggeredBy)).toEqual([
      'account-membership.deleted',
      'account-membership.created',
    ]);
    // The deletion came first, for a membership the gateway had never seen: unroutable, but its
    // tombstone stops the create that follows.
    const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/membership_events_total\{source="ELASTIC_PATH",type="DELETED",outcome="unroutable"\} 1/);
    expect(metrics).toMatch(/membership_events_total\{source="ELASTIC_PATH",type="CREATED",outcome="tombstoned"\} 1/);
    expect(subscriber.pending()).toBe(0);
  });

  it('retries a delivery the webhook refuses, with a growing attempt', async () => {
    await registerWebhook('not-the-gateway-secret');
    stack.emulator.integrations.faults = { maxAttempts: 3, retryBaseMs: 5 };
    await rest('POST', `/v2/accounts/${acme.id}/account-memberships`, { data: { type: 'account_membership', account_member_id: andy.id } });
    await stack.emulator.integrations.settled();
    expect(stack.emulator.integrations.attempts.map(({ attempt, status }) => [attempt, status])).toEqual([
      [1, 401],
      [2, 401],
      [3, 401],
    ]);
    expect(new Set(stack.emulator.integrations.attempts.map((attempt) => attempt.eventId)).size).toBe(1);
  });
});
