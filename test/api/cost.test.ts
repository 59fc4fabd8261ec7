/**
 * What one request may cost Elastic Path: the estimate against counted reality, refusals before
 * any call, the run-time budget that a batch shares, identical reads made once, and
 * `extensions.cost`. Every scenario counts what the emulator received.
 */
import { print, type DocumentNode } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import {
  AccountDocument,
  AccountMemberDocument,
  AccountMembersDocument,
  AccountMembershipDocument,
  AccountMembershipIdsDocument,
  AccountMembershipsDocument,
  CreateAccountMembershipDocument,
  CreateAccountMembershipMemberIdOnlyDocument,
  DeleteAccountMembershipDocument,
  EnsureAccountMembershipDocument,
  EnsureAccountMembershipIdsOnlyDocument,
  EnsureAccountMembershipsDocument,
  EnsureAccountMembershipsWithNamesDocument,
  FiveMembersDocument,
  MemberAccountsDocument,
  SameMemberThriceDocument,
  ThreeAccountsDocument,
  UnassignedAccountMembersDocument,
} from '../gql/graphql.js';
import { startStack, type Stack } from '../support/stack.js';

const { acme, acmeEurope, globex } = DEMO.accounts;
const { ron, leslie, april, andy, tom } = DEMO.members;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ gateway: { env: { BATCH_LIMIT: '20' } } });
});
afterEach(() => stack.reset());
afterAll(() => stack.close());

const auth = () => ({ authorization: stack.authorization });
const post = (body: unknown) => stack.gateway.post(body, auth());
const costOf = (result: { extensions?: Record<string, unknown> }) =>
  (result.extensions as { cost?: { estimated: number; actual: number } } | undefined)?.cost;

/** Each operation the tests and the README use, with variables that make it run. */
const OPERATIONS: Array<[string, DocumentNode, Record<string, unknown>]> = [
  ['AccountMember', AccountMemberDocument, { id: ron.id }],
  ['SameMemberThrice', SameMemberThriceDocument, { id: ron.id }],
  ['Account', AccountDocument, { id: acmeEurope.id, first: 10 }],
  ['ThreeAccounts', ThreeAccountsDocument, { a: acme.id, b: acmeEurope.id, c: globex.id }],
  ['MemberAccounts', MemberAccountsDocument, { id: ron.id }],
  ['AccountMembers', AccountMembersDocument, { first: 50 }],
  ['UnassignedAccountMembers', UnassignedAccountMembersDocument, { accountId: acme.id }],
  ['FiveMembers', FiveMembersDocument, { a: ron.id, b: leslie.id, c: april.id, d: andy.id, e: tom.id }],
  ['AccountMemberships', AccountMembershipsDocument, { accountId: acme.id, first: 2 }],
  ['AccountMembershipIds', AccountMembershipIdsDocument, { accountId: acme.id }],
  ['AccountMembership', AccountMembershipDocument, { accountId: acme.id, id: DEMO.memberships.acmeRon.id }],
  ['CreateAccountMembership', CreateAccountMembershipDocument, { accountId: globex.id, accountMemberId: andy.id }],
  ['CreateAccountMembershipMemberIdOnly', CreateAccountMembershipMemberIdOnlyDocument, { accountId: globex.id, accountMemberId: tom.id }],
  ['EnsureAccountMembership', EnsureAccountMembershipDocument, { accountId: acme.id, accountMemberId: ron.id }],
  ['EnsureAccountMembershipIdsOnly', EnsureAccountMembershipIdsOnlyDocument, { accountId: acmeEurope.id, accountMemberId: andy.id }],
  ['EnsureAccountMemberships', EnsureAccountMembershipsDocument, { accountId: acme.id, accountMemberIds: [ron.id] }],
  ['EnsureAccountMembershipsWithNames', EnsureAccountMembershipsWithNamesDocument, { accountId: acme.id, accountMemberIds: [april.id] }],
  ['DeleteAccountMembership', DeleteAccountMembershipDocument, { accountId: acme.id, id: DEMO.memberships.acmeLeslie.id }],
];

const README_QUERIES: Array<[string, string]> = [
  [
    'account with parent and members',
    `{ account(id: "${acmeEurope.id}") { name legalName registrationId externalRef parent { name }
       memberships(first: 10) { totalCount edges { node { id accountMember { name email } } } } } }`,
  ],
  [
    'memberships page',
    `{ accountMemberships(accountId: "${acme.id}", first: 2) { totalCount pageInfo { hasNextPage endCursor }
       edges { cursor node { id createdAt accountMember { name } } } } }`,
  ],
  [
    'one membership',
    `{ accountMembership(accountId: "${acme.id}", id: "${DEMO.memberships.acmeRon.id}") { id account { name } accountMember { name } } }`,
  ],
  [
    'unassigned and all members',
    `{ unassignedAccountMembers(accountId: "${acme.id}", filter: { nameLike: "dwyer" }) { totalCount edges { node { id name email } } }
       accountMembers(first: 50, filter: { email: "ron@swanson.com" }) { edges { node { id name } } } }`,
  ],
  [
    'member and its accounts',
    `{ accountMember(id: "${ron.id}") { name email givenName familyName memberships { edges { node { account { name } } } } } }`,
  ],
];

describe('the estimate', () => {
  it.each(OPERATIONS)('is at least what %s really costs, and not far above', async (_name, document, variables) => {
    const result = await post({ query: print(document), variables });
    const cost = costOf(result);
    const made = stack.upstreamCalls().length;
    expect(cost?.actual).toBe(made);
    expect(cost?.estimated).toBeGreaterThanOrEqual(made);
    // Pages are estimated full (the demo store holds a few records); anything else is exact or close.
    expect(cost?.estimated).toBeLessThanOrEqual(made + 3);
  });

  it.each(README_QUERIES)('is at least what the README\'s %s costs', async (_name, query) => {
    const result = await post({ query });
    expect(result.errors).toBeUndefined();
    const cost = costOf(result);
    expect(cost?.actual).toBe(stack.upstreamCalls().length);
    expect(cost?.estimated).toBeGreaterThanOrEqual(cost?.actual ?? Infinity);
    expect(cost?.estimated).toBeLessThanOrEqual((cost?.actual ?? 0) + 3);
  });

  it('multiplies what each node selects by the page size', async () => {
    const query = `{ accountMembers(first: 10) { edges { node { memberships(first: 5) { edges { node { account { name } } } } } } } }`;
    const result = await post({ query });
    // One page of members, then one memberships page per member (accounts come included): 1 + 10.
    expect(costOf(result)).toEqual({ estimated: 11, actual: 1 + 5 });
  });
});

describe('refusing before any call', () => {
  /** The 29-alias document measured at 319 upstream calls on the demo store before this limit. */
  const NESTED_ALIASES = `{ ${Array.from(
    { length: 29 },
    (_, index) =>
      `a${index}: accountMembers(first: 100) { edges { node { id memberships(first: 100) { edges { node { id account { memberships(first: 100) { totalCount } } } } } } } }`,
  ).join(' ')} }`;

  it('refuses the nested 29-alias query with UPSTREAM_BUDGET_EXCEEDED and makes no call', async () => {
    const result = await post({ query: NESTED_ALIASES });
    expect(result.data).toBeUndefined();
    expect(result.errors).toHaveLength(1);
    const [error] = result.errors ?? [];
    expect(error?.extensions).toMatchObject({ code: 'UPSTREAM_BUDGET_EXCEEDED', limit: 100 });
    expect(error?.extensions?.estimated).toBeGreaterThan(100_000);
    expect(error?.message).toMatch(/at most 100\. Ask for smaller pages \(a lower first\), fewer aliases or nested lists, or split it/);
    expect(stack.upstreamCalls()).toHaveLength(0);
  });

  it('takes page sizes from variables, still before any call', async () => {
    const query = `query Nested($first: Int) { accountMembers(first: $first) { edges { node { memberships(first: $first) { totalCount } } } } }`;
    expect((await post({ query, variables: { first: 100 } })).errors?.[0]?.extensions?.code).toBe('UPSTREAM_BUDGET_EXCEEDED');
    expect(stack.upstreamCalls()).toHaveLength(0);
    const small = await post({ query, variables: { first: 5 } });
    expect(small.errors).toBeUndefined();
    expect(costOf(small)).toEqual({ estimated: 6, actual: 6 });
  });

  it('counts federation representations after deduplication: 300 members are refused with no call', async () => {
    const ids = Array.from({ length: 300 }, (_, index) => `0b000000-0000-4000-8000-${String(index + 100).padStart(12, '0')}`);
    const entities = 'query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on AccountMember { name } } }';
    const many = await post({ query: entities, variables: { representations: ids.map((id) => ({ __typename: 'AccountMember', id })) } });
    expect(many.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_BUDGET_EXCEEDED', estimated: 300, limit: 100 });
    expect(stack.upstreamCalls()).toHaveLength(0);

    // The same member 300 times is one lookup.
    const same = await post({ query: entities, variables: { representations: ids.map(() => ({ __typename: 'AccountMember', id: ron.id })) } });
    expect(same.errors).toBeUndefined();
    expect(costOf(same)).toEqual({ estimated: 1, actual: 1 });
  });

  it('counts accounts in batches of 100', async () => {
    const ids = [acme.id, acmeEurope.id, globex.id];
    const query = 'query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on Account { name } } }';
    const result = await post({ query, variables: { representations: ids.map((id) => ({ __typename: 'Account', id })) } });
    expect(result.errors).toBeUndefined();
    expect(costOf(result)).toEqual({ estimated: 1, actual: 1 });
  });
});

describe('the run-time budget', () => {
  it('is shared by a batch: once spent, further calls fail with UPSTREAM_BUDGET_EXCEEDED instead of going out', async () => {
    const small = await startStack({ gateway: { env: { MAX_UPSTREAM_CALLS: '3' } } });
    try {
      const read = (id: string) => ({ query: `{ accountMember(id: "${id}") { name } }` });
      const response = await fetch(`${small.gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: small.authorization },
        body: JSON.stringify([read(ron.id), read(leslie.id), read(april.id), read(andy.id)]),
      });
      const results = (await response.json()) as Array<{ data?: unknown; errors?: Array<{ extensions: { code: string } }> }>;
      const refused = results.filter((result) => result.errors?.[0]?.extensions.code === 'UPSTREAM_BUDGET_EXCEEDED');
      expect(refused).toHaveLength(1);
      expect(small.upstreamCalls()).toHaveLength(3);
    } finally {
      await small.close();
    }
  });

  it('holds MAX_MUTATION_FIELDS across a batch: 10 operations of 5 creates make at most 5 writes', async () => {
    const creates = (batch: number) =>
      `mutation { ${Array.from(
        { length: 5 },
        (_, index) =>
          `c${index}: createAccountMembership(accountId: "${globex.id}", accountMemberId: "0b000000-0000-4000-8000-0000000${batch}${index}000") { __typename }`,
      ).join(' ')} }`;
    const response = await fetch(`${stack.gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth() },
      body: JSON.stringify(Array.from({ length: 10 }, (_, batch) => ({ query: creates(batch) }))),
    });
    const results = (await response.json()) as Array<{ errors?: Array<{ message: string; extensions: { code: string } }> }>;
    expect(results).toHaveLength(10);
    const refused = results.filter((result) => result.errors?.[0]?.extensions.code === 'BAD_USER_INPUT');
    expect(refused).toHaveLength(9);
    expect(refused[0]?.errors?.[0]?.message).toMatch(/at most 5 are allowed in one request/);
    expect(stack.upstreamCalls().filter((call) => call.method === 'POST')).toHaveLength(5);
  });
});

describe('identical reads', () => {
  it('are made once within a request', async () => {
    const query = `{ ${Array.from({ length: 29 }, (_, index) => `a${index}: accountMembers(first: 5) { totalCount }`).join(' ')} }`;
    const result = await post({ query });
    expect(result.errors).toBeUndefined();
    expect(stack.upstreamCalls()).toHaveLength(1);
    expect(costOf(result)).toEqual({ estimated: 29, actual: 1 });
  });

  it('are never shared between requests', async () => {
    const query = '{ accountMembers(first: 5) { totalCount } }';
    await post({ query });
    await post({ query });
    expect(stack.upstreamCalls()).toHaveLength(2);
  });
});

describe('extensions.cost', () => {
  it('is left out with COST_EXTENSIONS=false', async () => {
    const quiet = await startStack({ gateway: { env: { COST_EXTENSIONS: 'false' } } });
    try {
      const result = await quiet.gateway.post({ query: `{ accountMember(id: "${ron.id}") { name } }` }, { authorization: quiet.authorization });
      expect(result.data).toEqual({ accountMember: { name: ron.name } });
      expect(result.extensions).toBeUndefined();
    } finally {
      await quiet.close();
    }
  });
});
