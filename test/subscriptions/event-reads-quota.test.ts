/**
 * A subscription's reads (its authorization check and each event's fields) are bulk work in the
 * upstream quota: they wait within EP_API_BULK_SHARE of EP_API_MAX_RPS, together across all
 * subscribers, while callers' own operations keep the rest of the budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import { deliver, membershipDelivery, WEBHOOK_SECRET } from '../support/deliveries.js';
import { startStack, type Stack } from '../support/stack.js';
import { subscribe, type Subscriber } from '../support/subscribers.js';

const { acme } = DEMO.accounts;
const { tom } = DEMO.members;
const SECRET = WEBHOOK_SECRET;
const EVENTS = /* GraphQL */ `
  subscription Names($accountId: ID!) {
    accountMembershipEvents(accountId: $accountId) { type membershipId membership { accountMember { id name } } }
  }
`;

let stack: Stack;
const open: Subscriber[] = [];
beforeAll(async () => {
  // Four starts a second, one of them for bulk work.
  stack = await startStack({ gateway: { env: { EP_API_MAX_RPS: '4', EP_API_BULK_SHARE: '25', EP_WEBHOOK_SECRET: SECRET } } });
});
afterAll(async () => {
  await Promise.all(open.map((subscriber) => subscriber.close()));
  await stack.close();
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{${labels}} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('event reads and the upstream quota', () => {
  it('takes every subscription read from the bulk share, waiting for it instead of failing', async () => {
    const subscribers = [0, 1].map(() =>
      subscribe('sse', {
        gatewayUrl: stack.gateway.url,
        query: EVENTS,
        variables: { accountId: acme.id },
        authorization: stack.authorization,
      }),
    );
    open.push(...subscribers);
    await until(() => stack.gateway.gateway.events.subscribers() === 2);

    const dto = stack.emulator.store.addMembership(acme.id, tom.id);
    const record = { ...dto, links: { self: `${stack.upstreamUrl}/v2/accounts/${acme.id}/account-memberships/${dto.id}` } };
    const response = await deliver(stack.gateway.url, membershipDelivery('account-membership.created', record));
    expect(await response.json()).toEqual({ outcome: 'published' });

    for (const subscriber of subscribers) {
      const { data, errors } = await subscriber.next();
      expect(errors).toBeUndefined();
      expect(data?.accountMembershipEvents).toEqual({
        type: 'CREATED',
        membershipId: dto.id,
        membership: { accountMember: { id: tom.id, name: tom.name } },
      });
    }

    // Two authorization checks and two member reads, all bulk; the share of one a second made some wait.
    const reads = stack.upstreamCalls();
    expect(reads.map((call) => call.path).sort()).toEqual([
      `/v2/account-members/${tom.id}`,
      `/v2/account-members/${tom.id}`,
      `/v2/accounts/${acme.id}/account-memberships`,
      `/v2/accounts/${acme.id}/account-memberships`,
    ]);
    expect(await metric('upstream_quota_starts_total', 'kind="bulk"')).toBe(4);
    expect(await metric('upstream_quota_starts_total', 'kind="interactive"')).toBe(0);
    expect(await metric('upstream_quota_held_total', 'reason="bulk"')).toBeGreaterThan(0);
    expect(await metric('upstream_quota_refused_total', 'reason="bulk"')).toBe(0);

    // A caller's own query is interactive work: the bulk share does not hold it.
    const answer = await stack.gateway.post({ query: `{ account(id: "${acme.id}") { id } }` }, { authorization: stack.authorization });
    expect(answer.errors).toBeUndefined();
    expect(await metric('upstream_quota_starts_total', 'kind="interactive"')).toBe(1);
  });
});
