/**
 * The gateway as an Apollo Federation v2 subgraph: its SDL, entity resolution through the
 * per-request loaders, composition with another subgraph, and queries through a real router
 * (Hive Gateway) that forwards each caller's token.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import { printSubgraphSdl } from '../../src/schema/sdl.js';
import { startStack, type Stack } from '../support/stack.js';
import { subscribe } from '../support/subscribers.js';
import { ORDERS_TYPE_DEFS, startOrdersSubgraph, type OrdersSubgraph } from './orders-subgraph.js';

const { acme, globex } = DEMO.accounts;
const { ron, leslie, april, andy, tom } = DEMO.members;
const ORDERS = [
  { id: 'o-1', total: 12.5, buyerId: ron.id },
  { id: 'o-2', total: 99, buyerId: leslie.id },
  { id: 'o-3', total: 7.25, buyerId: ron.id },
];

let stack: Stack;
let orders: OrdersSubgraph;
let router: { url: string; server: Server; dispose(): Promise<void> };

function compose() {
  return composeServices([
    { name: 'memberships', typeDefs: parse(printSubgraphSdl()), url: `${stack.gateway.url}/graphql` },
    { name: 'orders', typeDefs: ORDERS_TYPE_DEFS, url: `${orders.url}/graphql` },
  ]);
}

beforeAll(async () => {
  stack = await startStack();
  orders = await startOrdersSubgraph(ORDERS);
  const composed = compose();
  if (!composed.supergraphSdl) throw new Error(composed.errors?.map((e) => e.message).join('\n'));
  const runtime = createGatewayRuntime({
    supergraph: composed.supergraphSdl,
    logging: false,
    // Subscriptions go to the subgraph as GraphQL over SSE; by POST, which CSRF prevention lets
    // through, rather than a GET without a preflight header.
    transportEntries: { memberships: { options: { method: 'POST' } } },
    // What our README tells router operators to configure: forward the caller's Elastic Path
    // credentials to the subgraphs, and nothing else.
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) => ({
        authorization: request.headers.get('authorization'),
        'ep-account-management-authentication-token': request.headers.get('ep-account-management-authentication-token'),
      }),
    },
  });
  const server = createServer(runtime);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  router = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    server,
    dispose: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await runtime.dispose();
    },
  };
});
afterEach(() => {
  stack.reset();
  orders.authorizations.length = 0;
});
afterAll(async () => {
  await router?.dispose();
  await orders?.close();
  await stack?.close();
});

async function viaRouter(query: string, authorization?: string, variables?: Record<string, unknown>) {
  const response = await fetch(router.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

describe('the subgraph', () => {
  it('answers _service { sdl } without a token and without calling Elastic Path', async () => {
    const result = await stack.gateway.post({ query: '{ _service { sdl } }' });
    expect(result.errors).toBeUndefined();
    const sdl = (result.data as { _service: { sdl: string } })._service.sdl;
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.9"');
    expect(sdl).toContain('type AccountMember\n  @key(fields: "id")');
    expect(sdl).toContain('@key(fields: "accountId id")');
    expect(stack.upstreamCalls()).toHaveLength(0);
  });

  it("needs the caller's token for _entities", async () => {
    const result = await stack.gateway.post({
      query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on AccountMember { name } } }',
      variables: { r: [{ __typename: 'AccountMember', id: ron.id }] },
    });
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(stack.upstreamCalls()).toHaveLength(0);
  });

  it('refuses a representation of a type it does not resolve with BAD_USER_INPUT naming the types it does', async () => {
    const result = await stack.gateway.post(
      {
        query: 'query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }',
        variables: { r: [{ __typename: 'AccountMember', id: ron.id }, { __typename: 'Nope', id: 'x' }, { id: 'y' }] },
      },
      { authorization: stack.authorization },
    );
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toBe(
      'Representation 2 names __typename "Nope", which this subgraph does not resolve; representation 3 names none. It resolves Account, AccountMember and AccountMembership.',
    );
    expect(stack.upstreamCalls()).toHaveLength(0);
  });

  it('resolves 50 member references to 10 distinct members with at most 10 lookups', async () => {
    const distinct = [ron, leslie, april, andy, tom].map((m) => m.id);
    // Ten distinct ids: five that exist and five that do not (those resolve to null).
    const ids = [...distinct, ...distinct.map((id) => id.replace(/.$/, 'f'))];
    const representations = Array.from({ length: 50 }, (_, index) => ({ __typename: 'AccountMember', id: ids[index % 10] }));
    const result = await stack.gateway.post(
      {
        query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on AccountMember { id name } } }',
        variables: { r: representations },
      },
      { authorization: stack.authorization },
    );
    expect(result.errors).toBeUndefined();
    const entities = (result.data as { _entities: Array<{ id: string; name: string } | null> })._entities;
    expect(entities).toHaveLength(50);
    expect(entities[0]).toEqual({ id: ron.id, name: ron.name });
    expect(entities[5]).toBeNull();
    const lookups = stack.upstreamCalls();
    expect(lookups.length).toBeLessThanOrEqual(10);
    expect(new Set(lookups.map((call) => call.path)).size).toBe(lookups.length);
  });

  it('resolves a batch of _entities operations sharing one deadline without a warning on stderr', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      // Ten operations of five lookups each, every id distinct: fifty calls under one request's deadline.
      const batch = Array.from({ length: 10 }, (_, operation) => ({
        query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on AccountMember { id } } }',
        variables: {
          r: Array.from({ length: 5 }, (_, index) => ({
            __typename: 'AccountMember',
            id: `0b000000-0000-4000-8000-${String(100 + operation * 10 + index).padStart(12, '0')}`,
          })),
        },
      }));
      const response = await fetch(`${stack.gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: stack.authorization },
        body: JSON.stringify(batch),
      });
      const results = (await response.json()) as Array<{ data?: { _entities: unknown[] }; errors?: unknown }>;
      expect(results.map((result) => result.data?._entities)).toEqual(Array.from({ length: 10 }, () => [null, null, null, null, null]));
      expect(stack.upstreamCalls()).toHaveLength(50);
      // Warnings are emitted on the next tick of the one that raised them.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((warning) => `${warning.name}: ${warning.message}`)).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('resolves accounts and memberships by reference', async () => {
    const result = await stack.gateway.post(
      {
        query: `query ($r: [_Any!]!) { _entities(representations: $r) {
          ... on Account { id name }
          ... on AccountMembership { id accountId accountMember { name } }
        } }`,
        variables: {
          r: [
            { __typename: 'Account', id: acme.id },
            { __typename: 'Account', id: globex.id },
            { __typename: 'AccountMembership', accountId: acme.id, id: DEMO.memberships.acmeRon.id },
          ],
        },
      },
      { authorization: stack.authorization },
    );
    expect(result.errors).toBeUndefined();
    expect((result.data as { _entities: unknown[] })._entities).toEqual([
      { id: acme.id, name: acme.name },
      { id: globex.id, name: globex.name },
      { id: DEMO.memberships.acmeRon.id, accountId: acme.id, accountMember: { name: ron.name } },
    ]);
  });
});

describe('composition', () => {
  it('composes with a subgraph that references AccountMember, without errors', () => {
    const composed = compose();
    expect(composed.errors).toBeUndefined();
    expect(composed.publicSdl).toContain('orders: [Order!]!');
    expect(composed.publicSdl).toMatch(/type AccountMember \{[^}]*memberships\(/s);
  });
});

describe('through Hive Gateway', () => {
  it("runs createAccountMembership with the caller's token reaching Elastic Path", async () => {
    const result = await viaRouter(
      `mutation ($a: ID!, $m: ID!) { createAccountMembership(accountId: $a, accountMemberId: $m) {
        __typename ... on AccountMembership { accountId accountMember { name } } } }`,
      stack.authorization,
      { a: globex.id, m: april.id },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data.createAccountMembership).toEqual({
      __typename: 'AccountMembership',
      accountId: globex.id,
      accountMember: { name: april.name },
    });
    const calls = stack.upstreamCalls();
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((call) => call.headers.authorization === stack.authorization)).toBe(true);
  });

  it('answers a query that crosses both subgraphs', async () => {
    const result = await viaRouter('{ orders { id total buyer { name email memberships { totalCount } } } }', stack.authorization);
    expect(result.errors).toBeUndefined();
    expect(result.data.orders).toEqual([
      { id: 'o-1', total: 12.5, buyer: { name: ron.name, email: ron.email, memberships: { totalCount: 2 } } },
      { id: 'o-2', total: 99, buyer: { name: leslie.name, email: leslie.email, memberships: { totalCount: 1 } } },
      { id: 'o-3', total: 7.25, buyer: { name: ron.name, email: ron.email, memberships: { totalCount: 2 } } },
    ]);
    // Ron is named twice but looked up once.
    expect(stack.upstreamCalls().filter((call) => call.path === `/v2/account-members/${ron.id}`)).toHaveLength(1);
    expect(orders.authorizations).toEqual([stack.authorization]);
  });

  it("never mixes two callers' tokens: of 20 concurrent callers, exactly the 10 with a forged token are refused", async () => {
    const forged = 'Bearer forged-token-of-the-right-shape';
    const query = `{ accountMember(id: "${tom.id}") { name orders { id } } }`;
    const callers = Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? stack.authorization : forged));
    const results = await Promise.all(callers.map((authorization) => viaRouter(query, authorization)));
    const seen = results.map((result) => ({
      data: result.data?.accountMember ?? null,
      codes: (result.errors ?? []).map((error: { extensions?: { code?: string } }) => error.extensions?.code),
    }));
    expect(seen).toEqual(
      callers.map((authorization) =>
        authorization === forged ? { data: null, codes: ['UNAUTHENTICATED'] } : { data: { name: tom.name, orders: [] }, codes: [] },
      ),
    );
    // Hive Gateway folds identical in-flight requests into one, keyed by all their headers, so a
    // caller may cause fewer lookups than requests; but every lookup carries its own caller's token.
    const calls = stack.upstreamCalls();
    const byValid = calls.filter((call) => call.headers.authorization === stack.authorization).length;
    const byForged = calls.filter((call) => call.headers.authorization === forged).length;
    expect(byValid).toBeGreaterThanOrEqual(1);
    expect(byForged).toBeGreaterThanOrEqual(1);
    expect(byValid + byForged).toBe(calls.length);
    expect(Math.max(byValid, byForged)).toBeLessThanOrEqual(10);
  });

  it("passes Elastic Path's refusal of a bad token back through the router", async () => {
    const result = await viaRouter(`{ accountMember(id: "${tom.id}") { name } }`, 'Bearer forged');
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('subscriptions through the router', () => {
  it("streams accountMembershipEvents through Hive Gateway's subgraph transport, resolved with the caller's token", async () => {
    const subscriber = subscribe('sse', {
      gatewayUrl: router.url.replace(/\/graphql$/, ''),
      query: `subscription { accountMembershipEvents(accountId: "${acme.id}") { type source membershipId membership { accountMember { id name } } } }`,
      authorization: stack.authorization,
    });
    try {
      while (stack.gateway.gateway.events.subscribers() === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const created = await viaRouter(
        `mutation { createAccountMembership(accountId: "${acme.id}", accountMemberId: "${andy.id}") { ... on AccountMembership { id } } }`,
        stack.authorization,
      );
      const result = await subscriber.next();
      expect(result.errors).toBeUndefined();
      expect(result.data?.accountMembershipEvents).toEqual({
        type: 'CREATED',
        source: 'GATEWAY',
        membershipId: created.data.createAccountMembership.id,
        membership: { accountMember: { id: andy.id, name: andy.name } },
      });
      const reads = stack.upstreamCalls().filter((call) => call.path === `/v2/account-members/${andy.id}`);
      expect(reads.map((call) => call.headers.authorization)).toEqual([stack.authorization]);
    } finally {
      await subscriber.close();
      while (stack.gateway.gateway.events.subscribers() > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });
});
