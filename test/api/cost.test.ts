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

type Cost = { estimated: number; actual: number };

/**
 * Each operation the tests and the README use, with variables that make it run, and what it costs
 * on the demo store: the estimate exactly as the rules give it, and the calls really made.
 */
const OPERATIONS: Array<[string, DocumentNode, Record<string, unknown>, Cost]> = [
  ['AccountMember', AccountMemberDocument, { id: ron.id }, { estimated: 1, actual: 1 }],
  // Three aliases, three lookups by the rules; the loader makes one.
  ['SameMemberThrice', SameMemberThriceDocument, { id: ron.id }, { estimated: 3, actual: 1 }],
  // The account, its parent, its memberships page, and one more for the named id a batch may not return.
  ['Account', AccountDocument, { id: acmeEurope.id, first: 10 }, { estimated: 4, actual: 3 }],
  // Three named accounts batch into one call when all exist; each could need its own lookup.
  ['ThreeAccounts', ThreeAccountsDocument, { a: acme.id, b: acmeEurope.id, c: globex.id }, { estimated: 6, actual: 1 }],
  ['MemberAccounts', MemberAccountsDocument, { id: ron.id }, { estimated: 2, actual: 2 }],
  ['AccountMembers', AccountMembersDocument, { first: 50 }, { estimated: 1, actual: 1 }],
  ['UnassignedAccountMembers', UnassignedAccountMembersDocument, { accountId: acme.id }, { estimated: 1, actual: 1 }],
  ['FiveMembers', FiveMembersDocument, { a: ron.id, b: leslie.id, c: april.id, d: andy.id, e: tom.id }, { estimated: 5, actual: 5 }],
  ['AccountMemberships', AccountMembershipsDocument, { accountId: acme.id, first: 2 }, { estimated: 1, actual: 1 }],
  ['AccountMembershipIds', AccountMembershipIdsDocument, { accountId: acme.id }, { estimated: 1, actual: 1 }],
  ['AccountMembership', AccountMembershipDocument, { accountId: acme.id, id: DEMO.memberships.acmeRon.id }, { estimated: 2, actual: 2 }],
  [
    'CreateAccountMembership',
    CreateAccountMembershipDocument,
    { accountId: globex.id, accountMemberId: andy.id },
    { estimated: 2, actual: 2 },
  ],
  [
    'CreateAccountMembershipMemberIdOnly',
    CreateAccountMembershipMemberIdOnlyDocument,
    { accountId: globex.id, accountMemberId: tom.id },
    { estimated: 1, actual: 1 },
  ],
  // The write, the filtered list read beside it (the record a 409 needs), and the member's record.
  [
    'EnsureAccountMembership',
    EnsureAccountMembershipDocument,
    { accountId: acme.id, accountMemberId: ron.id },
    { estimated: 3, actual: 3 },
  ],
  // A new membership: the write and the list read beside it, which a 201 leaves unused.
  [
    'EnsureAccountMembershipIdsOnly',
    EnsureAccountMembershipIdsOnlyDocument,
    { accountId: acmeEurope.id, accountMemberId: andy.id },
    { estimated: 2, actual: 2 },
  ],
  // One id: one write and min(1 + 1, 10) reads; Ron is on the first page, so nothing is written.
  [
    'EnsureAccountMemberships',
    EnsureAccountMembershipsDocument,
    { accountId: acme.id, accountMemberIds: [ron.id] },
    { estimated: 3, actual: 1 },
  ],
  [
    'EnsureAccountMembershipsWithNames',
    EnsureAccountMembershipsWithNamesDocument,
    { accountId: acme.id, accountMemberIds: [april.id] },
    { estimated: 4, actual: 1 },
  ],
  [
    'DeleteAccountMembership',
    DeleteAccountMembershipDocument,
    { accountId: acme.id, id: DEMO.memberships.acmeLeslie.id },
    { estimated: 1, actual: 1 },
  ],
];

const README_QUERIES: Array<[string, string, Cost]> = [
  [
    'account with parent and members',
    `{ account(id: "${acmeEurope.id}") { name legalName registrationId externalRef parent { name }
       memberships(first: 10) { totalCount edges { node { id accountMember { name email } } } } } }`,
    { estimated: 4, actual: 3 },
  ],
  [
    'memberships page',
    `{ accountMemberships(accountId: "${acme.id}", first: 2) { totalCount pageInfo { hasNextPage endCursor }
       edges { cursor node { id createdAt accountMember { name } } } } }`,
    { estimated: 1, actual: 1 },
  ],
  [
    'one membership',
    `{ accountMembership(accountId: "${acme.id}", id: "${DEMO.memberships.acmeRon.id}") { id account { name } accountMember { name } } }`,
    { estimated: 2, actual: 2 },
  ],
  [
    'unassigned and all members',
    `{ unassignedAccountMembers(accountId: "${acme.id}", filter: { nameLike: "dwyer" }) { totalCount edges { node { id name email } } }
       accountMembers(first: 50, filter: { email: "ron@swanson.com" }) { edges { node { id name } } } }`,
    { estimated: 2, actual: 2 },
  ],
  [
    'member and its accounts',
    `{ accountMember(id: "${ron.id}") { name email givenName familyName memberships { edges { node { account { name } } } } } }`,
    { estimated: 2, actual: 2 },
  ],
];

describe('the estimate', () => {
  it.each(OPERATIONS)('is at least what %s really costs, and exactly what its rules give', async (_name, document, variables, expected) => {
    const result = await post({ query: print(document), variables });
    const made = stack.upstreamCalls().length;
    expect(costOf(result)).toEqual(expected);
    expect(expected.actual).toBe(made);
    expect(expected.estimated).toBeGreaterThanOrEqual(made);
  });

  it.each(README_QUERIES)("is at least what the README's %s costs, and exactly what its rules give", async (_name, query, expected) => {
    const result = await post({ query });
    expect(result.errors).toBeUndefined();
    expect(costOf(result)).toEqual(expected);
    expect(stack.upstreamCalls()).toHaveLength(expected.actual);
  });

  it('multiplies what each node selects by the page size', async () => {
    const query = `{ accountMembers(first: 10) { edges { node { memberships(first: 5) { edges { node { account { name } } } } } } } }`;
    const result = await post({ query });
    // One page of members, then one memberships page per member (accounts come included): 1 + 10.
    expect(costOf(result)).toEqual({ estimated: 11, actual: 1 + 5 });
  });

  it("counts the member's record under its own memberships page when nothing read it before", async () => {
    // The write, the member's memberships page, and the member's record, which neither answer carried.
    const query = `mutation { createAccountMembership(accountId: "${globex.id}", accountMemberId: "${andy.id}") { ... on AccountMembership { accountMember { memberships(first: 5) { edges { node { accountMember { name } } } } } } } }`;
    const result = await post({ query });
    expect(result.errors).toBeUndefined();
    const made = stack.upstreamCalls().length;
    expect(made).toBe(3);
    expect(costOf(result)?.estimated).toBeGreaterThanOrEqual(made);
  });

  it("counts the member's record read beside a create when only the member's memberships are selected", async () => {
    // Anything beyond the member's id starts its record's read beside the write, memberships too.
    const query = `mutation { createAccountMembership(accountId: "${globex.id}", accountMemberId: "${andy.id}") { ... on AccountMembership { accountMember { memberships(first: 5) { totalCount } } } } }`;
    const result = await post({ query });
    expect(result.errors).toBeUndefined();
    expect(stack.upstreamCalls().map((call) => call.method)).toEqual(['POST', 'GET', 'GET']);
    expect(costOf(result)).toEqual({ estimated: 3, actual: 3 });
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
    expect(result.status).toBe(400);
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
    const entities =
      'query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on AccountMember { name } } }';
    const many = await post({ query: entities, variables: { representations: ids.map((id) => ({ __typename: 'AccountMember', id })) } });
    expect(many.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_BUDGET_EXCEEDED', estimated: 300, limit: 100 });
    expect(stack.upstreamCalls()).toHaveLength(0);

    // The same member 300 times is one lookup.
    const same = await post({
      query: entities,
      variables: { representations: ids.map(() => ({ __typename: 'AccountMember', id: ron.id })) },
    });
    expect(same.errors).toBeUndefined();
    expect(costOf(same)).toEqual({ estimated: 1, actual: 1 });
  });

  it('counts accounts in batches of 100, and one lookup more for each id a batch may not return', async () => {
    const query = 'query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on Account { name } } }';
    const accounts = (ids: string[]) => ({ query, variables: { representations: ids.map((id) => ({ __typename: 'Account', id })) } });

    // Three that exist come in one batch; the estimate cannot know that they exist.
    const known = await post(accounts([acme.id, acmeEurope.id, globex.id]));
    expect(known.errors).toBeUndefined();
    expect(costOf(known)).toEqual({ estimated: 1 + 3, actual: 1 });
    stack.reset();

    // Two that do not: the batch answers neither, and each is looked up alone for its 404.
    const unknown = await post(accounts(['0d000000-0000-4000-8000-000000000001', '0d000000-0000-4000-8000-000000000002']));
    expect(unknown.data).toEqual({ _entities: [null, null] });
    expect(costOf(unknown)).toEqual({ estimated: 1 + 2, actual: 3 });
    expect(stack.upstreamCalls()).toHaveLength(3);
  });
});

describe('reading the operation as execution does', () => {
  it("takes first from a variable's default: refused before any call, as the same literal is", async () => {
    const query = `query ($f: Int = 100) { accountMembers(first: $f) { edges { node { memberships(first: 100) { totalCount } } } } }`;
    const refused = await post({ query });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_BUDGET_EXCEEDED', estimated: 101, limit: 100 });
    expect(stack.upstreamCalls()).toHaveLength(0);

    // A value given for the variable wins over its default.
    const small = await post({ query, variables: { f: 5 } });
    expect(small.errors).toBeUndefined();
    expect(costOf(small)).toEqual({ estimated: 6, actual: 6 });
  });

  it("counts the ids a bulk ensure takes from a variable's default: 100 are refused before any write", async () => {
    const ids = Array.from({ length: 100 }, (_, index) => `0b000000-0000-4000-8000-${String(index + 100).padStart(12, '0')}`);
    const query = `mutation ($ids: [ID!] = [${ids.map((id) => `"${id}"`).join(', ')}]) {
      ensureAccountMemberships(accountId: "${globex.id}", accountMemberIds: $ids) { __typename }
    }`;
    const result = await post({ query });
    // 100 writes and min(100 + 1, 10) reads.
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_BUDGET_EXCEEDED', estimated: 110, limit: 100 });
    expect(stack.upstreamCalls()).toHaveLength(0);
  });

  it('counts one representation given where GraphQL expects a list', async () => {
    const literal = await post({
      query: `{ _entities(representations: { __typename: "AccountMember", id: "${ron.id}" }) { ... on AccountMember { name } } }`,
    });
    expect(literal.data).toEqual({ _entities: [{ name: ron.name }] });
    expect(costOf(literal)).toEqual({ estimated: 1, actual: 1 });
    stack.reset();

    const variable = await post({
      query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on AccountMember { name } } }',
      variables: { r: { __typename: 'AccountMember', id: ron.id } },
    });
    expect(variable.data).toEqual({ _entities: [{ name: ron.name }] });
    expect(costOf(variable)).toEqual({ estimated: 1, actual: 1 });
  });

  it("leaves out what @include and @skip leave out, with the variables' defaults", async () => {
    const query = `query ($all: Boolean = false, $names: Boolean! = true) {
      accountMember(id: "${ron.id}") { name @include(if: $names) }
      accountMembers(first: 100) @include(if: $all) { edges { node { memberships(first: 100) { totalCount } } } }
      unassignedAccountMembers(accountId: "${acme.id}") @skip(if: true) { totalCount }
    }`;
    const small = await post({ query });
    expect(small.errors).toBeUndefined();
    expect(costOf(small)).toEqual({ estimated: 1, actual: 1 });

    const all = await post({ query, variables: { all: true } });
    expect(all.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_BUDGET_EXCEEDED', estimated: 1 + 1 + 100, limit: 100 });
  });

  it('merges fields of one response key, and fragments spread twice, as execution does', async () => {
    const query = `query { accountMember(id: "${ron.id}") { name } accountMember(id: "${ron.id}") { email ...Member ...Member } }
      fragment Member on AccountMember { memberships(first: 2) { totalCount } }`;
    const result = await post({ query });
    expect(result.errors).toBeUndefined();
    // One member lookup and one page of its memberships.
    expect(costOf(result)).toEqual({ estimated: 2, actual: 2 });
  });

  it('counts a page the resolver refuses as no call: the caller hears about first, not the budget', async () => {
    const result = await post({ query: '{ accountMembers(first: 1000) { edges { node { memberships { totalCount } } } } }' });
    expect(result.errors?.[0]).toMatchObject({ message: 'first must be from 1 to 100; got 1000.', extensions: { code: 'BAD_USER_INPUT' } });
    expect(stack.upstreamCalls()).toHaveLength(0);
  });

  it('takes the default page size, 25, when first is not given', async () => {
    const result = await post({ query: '{ accountMembers { edges { node { memberships { totalCount } } } } }' });
    expect(result.errors).toBeUndefined();
    // One page of members, then one memberships page for each of up to 25; the demo store has 5.
    expect(costOf(result)).toEqual({ estimated: 1 + 25, actual: 1 + 5 });
  });

  it('counts one more lookup for each account id named, once a batch can form', async () => {
    const query = `{ a: account(id: "0d000000-0000-4000-8000-000000000001") { name } b: account(id: "0d000000-0000-4000-8000-000000000002") { name } }`;
    const result = await post({ query });
    expect(result.data).toEqual({ a: null, b: null });
    // One batch of both, then a lookup of each for its 404.
    expect(costOf(result)).toEqual({ estimated: 2 + 2, actual: 3 });
  });
});

describe('the status of a refusal', () => {
  const EXPENSIVE = '{ accountMembers(first: 100) { edges { node { memberships(first: 100) { totalCount } } } } }';
  const send = (accept: string) =>
    fetch(`${stack.gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, ...auth() },
      body: JSON.stringify({ query: EXPENSIVE }),
    });

  it('is 400 under application/graphql-response+json: the operation never ran', async () => {
    const response = await send('application/graphql-response+json');
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    const body = (await response.json()) as { data?: unknown; errors: Array<{ extensions: Record<string, unknown> }> };
    expect(body.data).toBeUndefined();
    expect(body.errors[0]?.extensions).toMatchObject({ code: 'UPSTREAM_BUDGET_EXCEEDED', estimated: 101 });
    expect(body.errors[0]?.extensions).not.toHaveProperty('http');
    expect(stack.upstreamCalls()).toHaveLength(0);
  });

  it('is 200 under application/json, as GraphQL over HTTP specifies for it', async () => {
    const response = await send('application/json');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { errors: Array<{ extensions: Record<string, unknown> }> };
    expect(body.errors[0]?.extensions).toMatchObject({ code: 'UPSTREAM_BUDGET_EXCEEDED' });
  });
});

describe('the run-time budget', () => {
  it('is shared by a batch: once spent, further calls fail with UPSTREAM_BUDGET_EXCEEDED instead of going out', async () => {
    const small = await startStack({ gateway: { env: { MAX_UPSTREAM_CALLS: '3' } } });
    try {
      const read = (id: string) => ({ query: `{ accountMember(id: "${id}") { name } }` });
      const response = await fetch(`${small.gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: small.authorization },
        body: JSON.stringify([read(ron.id), read(leslie.id), read(april.id), read(andy.id)]),
      });
      // The operations ran; the one the budget stopped has its error beside the others' data.
      expect(response.status).toBe(200);
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
      const result = await quiet.gateway.post(
        { query: `{ accountMember(id: "${ron.id}") { name } }` },
        { authorization: quiet.authorization },
      );
      expect(result.data).toEqual({ accountMember: { name: ron.name } });
      expect(result.extensions).toBeUndefined();
    } finally {
      await quiet.close();
    }
  });
});
