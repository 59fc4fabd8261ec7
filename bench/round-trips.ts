/**
 * The latency scenario set of `npm run bench`: every operation of the README's examples and of
 * `test/operations/`, one at a time (1 connection), through the built gateway to an Elastic Path
 * that answers each call BENCH_ROUND_TRIP_LATENCY_MS (50) after it arrives: the emulator, behind
 * a proxy that holds each answer that long and records when each call arrived and was answered
 * (`test/support/timed-upstream.ts`). For each operation: p50, the round trips made one after
 * another (the critical path, read from those arrivals and answers, not assumed), and the calls.
 * Writes are set up before each run, straight to the emulator and outside the timing, so that each
 * run takes the same path (a create that creates, a delete that deletes).
 */
import { print, type DocumentNode } from 'graphql';
import { DEMO } from '../src/emulator/seed.js';
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
} from '../test/gql/graphql.js';
import { roundTrips, startTimedUpstream } from '../test/support/timed-upstream.js';
import { startProcess } from '../test/support/child-process.js';
import { jsonClient } from './load.js';
import { startBuiltGateway } from './processes.js';

const { acme, acmeEurope, globex } = DEMO.accounts;
const { ron, leslie, april, andy, tom } = DEMO.members;
const { acmeRon } = DEMO.memberships;

interface Operation {
  name: string;
  body: { query: string; variables?: Record<string, unknown> };
  /** Puts the store in the state the operation expects, straight to the emulator; returns variables to add. */
  before?: (emulator: EmulatorRest) => Promise<Record<string, unknown> | void>;
}

const op = (document: DocumentNode, variables: Record<string, unknown>) => ({ query: print(document), variables });

/** Every operation of the README's examples and of test/operations/, with variables that make it run. */
export const OPERATIONS: Operation[] = [
  // test/operations/
  { name: 'AccountMember', body: op(AccountMemberDocument, { id: ron.id }) },
  { name: 'SameMemberThrice', body: op(SameMemberThriceDocument, { id: ron.id }) },
  { name: 'Account', body: op(AccountDocument, { id: acmeEurope.id, first: 10 }) },
  { name: 'ThreeAccounts', body: op(ThreeAccountsDocument, { a: acme.id, b: acmeEurope.id, c: globex.id }) },
  { name: 'MemberAccounts', body: op(MemberAccountsDocument, { id: ron.id }) },
  { name: 'AccountMembers', body: op(AccountMembersDocument, { first: 50 }) },
  { name: 'UnassignedAccountMembers', body: op(UnassignedAccountMembersDocument, { accountId: acme.id }) },
  { name: 'FiveMembers', body: op(FiveMembersDocument, { a: ron.id, b: leslie.id, c: april.id, d: andy.id, e: tom.id }) },
  { name: 'AccountMemberships', body: op(AccountMembershipsDocument, { accountId: acme.id, first: 2 }) },
  { name: 'AccountMembershipIds', body: op(AccountMembershipIdsDocument, { accountId: acme.id }) },
  { name: 'AccountMembership', body: op(AccountMembershipDocument, { accountId: acme.id, id: acmeRon.id }) },
  {
    name: 'CreateAccountMembership',
    body: op(CreateAccountMembershipDocument, { accountId: globex.id, accountMemberId: andy.id }),
    before: (emulator) => emulator.remove(globex.id, andy.id),
  },
  {
    name: 'CreateAccountMembershipMemberIdOnly',
    body: op(CreateAccountMembershipMemberIdOnlyDocument, { accountId: globex.id, accountMemberId: tom.id }),
    before: (emulator) => emulator.remove(globex.id, tom.id),
  },
  {
    name: 'EnsureAccountMembership (existing)',
    body: op(EnsureAccountMembershipDocument, { accountId: acme.id, accountMemberId: ron.id }),
  },
  {
    name: 'EnsureAccountMembership (new)',
    body: op(EnsureAccountMembershipDocument, { accountId: globex.id, accountMemberId: andy.id }),
    before: (emulator) => emulator.remove(globex.id, andy.id),
  },
  {
    name: 'EnsureAccountMembershipIdsOnly (new)',
    body: op(EnsureAccountMembershipIdsOnlyDocument, { accountId: acmeEurope.id, accountMemberId: andy.id }),
    before: (emulator) => emulator.remove(acmeEurope.id, andy.id),
  },
  {
    name: 'EnsureAccountMemberships (existing)',
    body: op(EnsureAccountMembershipsDocument, { accountId: acme.id, accountMemberIds: [ron.id] }),
  },
  {
    name: 'EnsureAccountMembershipsWithNames (existing)',
    body: op(EnsureAccountMembershipsWithNamesDocument, { accountId: acme.id, accountMemberIds: [april.id] }),
  },
  {
    name: 'DeleteAccountMembership',
    body: op(DeleteAccountMembershipDocument, { accountId: globex.id }),
    before: async (emulator) => ({ id: await emulator.add(globex.id, andy.id) }),
  },
  // The README's examples
  {
    name: 'README: createAccountMembership',
    body: {
      query: `mutation { createAccountMembership(accountId: "${acme.id}", accountMemberId: "${andy.id}") { __typename ... on AccountMembership { id accountId createdAt accountMember { id name email } } ... on NotFoundError { resource message } ... on MembershipLimitReachedError { limit message } ... on Error { message } } }`,
    },
    before: (emulator) => emulator.remove(acme.id, andy.id),
  },
  {
    name: 'README: create, admin adds one person',
    body: {
      query: `mutation { createAccountMembership(accountId: "${globex.id}", accountMemberId: "${andy.id}") { __typename ... on AccountMembership { id accountMember { name } } ... on MembershipAlreadyExistsError { message } ... on Error { message } } }`,
    },
    before: (emulator) => emulator.remove(globex.id, andy.id),
  },
  {
    name: 'README: ensure at sign-up (new)',
    body: {
      query: `mutation { ensureAccountMembership(accountId: "${globex.id}", accountMemberId: "${andy.id}") { __typename ... on EnsuredAccountMembership { created membership { id accountMember { name } } } ... on Error { message } } }`,
    },
    before: (emulator) => emulator.remove(globex.id, andy.id),
  },
  {
    name: 'README: ensure at sign-up (existing)',
    body: {
      query: `mutation { ensureAccountMembership(accountId: "${acme.id}", accountMemberId: "${ron.id}") { __typename ... on EnsuredAccountMembership { created membership { id accountMember { name } } } ... on Error { message } } }`,
    },
  },
  {
    name: 'README: onboarding, 3 new people',
    body: {
      query: `mutation Onboard($accountId: ID!, $people: [ID!]!) { ensureAccountMemberships(accountId: $accountId, accountMemberIds: $people) { __typename ... on EnsuredAccountMemberships { created existing failed results { __typename ... on EnsuredAccountMembership { created membership { id accountMember { id name } } } ... on NotFoundError { resource message } ... on MembershipLimitReachedError { limit message } ... on Error { message } } } ... on NotFoundError { resource message } ... on ValidationError { field message } } }`,
      variables: { accountId: globex.id, people: [andy.id, tom.id, leslie.id] },
    },
    before: async (emulator) => {
      for (const member of [andy, tom, leslie]) await emulator.remove(globex.id, member.id);
    },
  },
  {
    name: 'README: deleteAccountMembership',
    body: {
      query: `mutation ($accountId: ID!, $id: ID!) { deleteAccountMembership(accountId: $accountId, id: $id) { __typename ... on DeletedAccountMembership { id accountId } ... on NotFoundError { resource message } ... on ValidationError { field message } } }`,
      variables: { accountId: globex.id },
    },
    before: async (emulator) => ({ id: await emulator.add(globex.id, andy.id) }),
  },
  {
    name: 'README: account with parent and members',
    body: {
      query: `{ account(id: "${acmeEurope.id}") { name legalName registrationId externalRef parent { name } memberships(first: 10) { totalCount edges { node { id accountMember { name email } } } } } }`,
    },
  },
  {
    name: 'README: memberships page',
    body: {
      query: `{ accountMemberships(accountId: "${acme.id}", first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id createdAt accountMember { name } } } } }`,
    },
  },
  {
    name: 'README: one membership',
    body: { query: `{ accountMembership(accountId: "${acme.id}", id: "${acmeRon.id}") { id account { name } accountMember { name } } }` },
  },
  {
    name: 'README: unassigned and all members',
    body: {
      query: `{ unassignedAccountMembers(accountId: "${acme.id}", filter: { nameLike: "dwyer" }) { totalCount edges { node { id name email } } } accountMembers(first: 50, filter: { email: "ron@swanson.com" }) { edges { node { id name } } } }`,
    },
  },
  {
    name: 'README: member and its accounts',
    body: {
      query: `{ accountMember(id: "${ron.id}") { name email givenName familyName memberships { edges { node { account { name } } } } } }`,
    },
  },
  // Reads whose calls need only the ids in their arguments: every call starts at once.
  {
    name: 'member, its memberships and their accounts',
    body: { query: `{ accountMember(id: "${ron.id}") { name memberships { edges { node { account { name } } } } } }` },
  },
  {
    name: 'memberships with account and member names',
    body: { query: `{ accountMemberships(accountId: "${acme.id}") { edges { node { id account { name } accountMember { name } } } } }` },
  },
  {
    name: 'account, its memberships and member names',
    body: { query: `{ account(id: "${acme.id}") { name memberships { edges { node { id accountMember { name } } } } } }` },
  },
  { name: "one member's name", body: { query: `{ accountMember(id: "${ron.id}") { name } }` } },
];

/** The emulator's own REST API, for setting up writes outside the timing. */
interface EmulatorRest {
  /** Removes the member's membership of the account, if there is one. */
  remove(accountId: string, memberId: string): Promise<void>;
  /** Makes sure the membership exists; returns its id. */
  add(accountId: string, memberId: string): Promise<string>;
}

function emulatorRest(url: string, authorization: string): EmulatorRest & { close(): Promise<void> } {
  const client = jsonClient(url, 1);
  const headers = { authorization };
  const find = async (accountId: string, memberId: string): Promise<string | undefined> => {
    const { body } = await client.get(
      `/v2/accounts/${accountId}/account-memberships?filter=${encodeURIComponent(`eq(account_member_id,${memberId})`)}`,
      headers,
    );
    return body.data?.[0]?.id;
  };
  return {
    async remove(accountId, memberId) {
      const id = await find(accountId, memberId);
      if (id) await fetch(`${url}/v2/accounts/${accountId}/account-memberships/${id}`, { method: 'DELETE', headers });
    },
    async add(accountId, memberId) {
      const existing = await find(accountId, memberId);
      if (existing) return existing;
      const { body } = await client.post(
        `/v2/accounts/${accountId}/account-memberships`,
        { data: { type: 'account_membership', account_member_id: memberId } },
        headers,
      );
      return body.data.id as string;
    },
    close: () => client.close(),
  };
}

export interface RoundTripFigures {
  name: string;
  p50Ms: number;
  /** The critical path of the median run, in round trips. */
  roundTrips: number;
  calls: number;
}

/**
 * Runs the set through the gateway built here and, with `baseline`, through that checkout's built
 * gateway too, one operation at a time, alternating; prints one table.
 */
export async function benchRoundTrips(options: {
  latencyMs: number;
  runs: number;
  gatewayEnv: Record<string, string>;
  baseline?: string;
  only: string;
}): Promise<void> {
  const emulatorProcess = startProcess('src/emulator/main.ts', { env: { EMULATOR_PORT: '0' } });
  const [, emulatorUrl, token] = await emulatorProcess.waitFor(/listening on (http:\/\/\S+)[\s\S]*ready token[^:]*: (\S+)/, 30_000);
  const authorization = `Bearer ${token}`;
  const upstream = await startTimedUpstream(emulatorUrl as string, { latencyMs: options.latencyMs });
  const rest = emulatorRest(emulatorUrl as string, authorization);
  const gateways = [{ label: 'gateway', gateway: await startBuiltGateway(upstream.url, options.gatewayEnv) }];
  if (options.baseline) {
    gateways.push({
      label: 'baseline',
      gateway: await startBuiltGateway(upstream.url, options.gatewayEnv, options.baseline),
    });
  }
  const clients = gateways.map(({ gateway }) => jsonClient(gateway.url, 1));
  const operations = OPERATIONS.filter((operation) => operation.name.includes(options.only));

  const results = new Map<string, { ms: number; roundTrips: number; calls: number }[]>();
  try {
    // One run of each first (connections, JIT), not counted.
    for (let run = -1; run < options.runs; run += 1) {
      for (const operation of operations) {
        for (const [index, { label }] of gateways.entries()) {
          const extra = (await operation.before?.(rest)) ?? {};
          upstream.reset();
          const body = { ...operation.body, variables: { ...operation.body.variables, ...extra } };
          const started = performance.now();
          const { status, body: answer } = await (clients[index] as ReturnType<typeof jsonClient>).post('/graphql', body, {
            authorization,
          });
          const ms = performance.now() - started;
          if (status !== 200 || answer.errors)
            throw new Error(`${operation.name} through the ${label}: ${status} ${JSON.stringify(answer.errors)}`);
          if (run < 0) continue;
          const key = `${operation.name}\0${label}`;
          results.set(key, [...(results.get(key) ?? []), { ms, roundTrips: roundTrips(upstream.calls), calls: upstream.calls.length }]);
        }
      }
    }
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await rest.close();
    await Promise.all(gateways.map(({ gateway }) => gateway.stop()));
    await upstream.close();
    await emulatorProcess.stop('SIGTERM');
  }

  const figures = (name: string, label: string): RoundTripFigures | undefined => {
    const runs = [...(results.get(`${name}\0${label}`) ?? [])].sort((a, b) => a.ms - b.ms);
    const median = runs[Math.floor(runs.length / 2)];
    return median && { name, p50Ms: median.ms, roundTrips: median.roundTrips, calls: median.calls };
  };
  console.log(
    `\nRound trips: each operation alone (1 connection), ${options.runs} runs, Elastic Path answering ${options.latencyMs} ms after each call arrives (emulator behind a timing proxy).\n`,
  );
  const columns = gateways.map(({ label }) => `${label}: p50 ms, round trips, calls`);
  console.log(`| operation | ${columns.join(' | ')} |`);
  console.log(`| --- | ${columns.map(() => '---').join(' | ')} |`);
  for (const operation of operations) {
    const cells = gateways.map(({ label }) => {
      const one = figures(operation.name, label);
      return one ? `${one.p50Ms.toFixed(0)} ms, ${one.roundTrips}, ${one.calls}` : '';
    });
    console.log(`| ${operation.name} | ${cells.join(' | ')} |`);
  }
}
