/** The whole memberships API through the gateway against the emulator: what callers see, and what reached Elastic Path. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import {
  AccountDocument,
  AccountMembersDocument,
  AccountMembershipDocument,
  AccountMembershipIdsDocument,
  AccountMembershipsDocument,
  CreateAccountMembershipDocument,
  DeleteAccountMembershipDocument,
  UnassignedAccountMembersDocument,
  type AccountMembersQuery,
} from '../gql/graphql.js';
import { startStack, type Stack } from '../support/stack.js';

const { acme, acmeEurope, globex } = DEMO.accounts;
const { ron, leslie, april, tom } = DEMO.members;
const MISSING = '0f000000-0000-4000-8000-00000000dead';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterEach(() => stack.reset());
afterAll(() => stack.close());

const auth = () => ({ authorization: stack.authorization });

describe('accountMemberships', () => {
  it("pages through an account's memberships with opaque cursors, newest first", async () => {
    const first = await stack.gateway.execute(AccountMembershipsDocument, { accountId: acme.id, first: 2 }, auth());
    const page1 = first.data?.accountMemberships;
    expect(page1?.totalCount).toBe(3);
    expect(page1?.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(page1?.edges.map((edge) => edge.node.accountMember.name)).toEqual([april.name, leslie.name]);
    expect(page1?.edges.every((edge) => edge.node.accountId === acme.id)).toBe(true);

    const second = await stack.gateway.execute(
      AccountMembershipsDocument,
      { accountId: acme.id, first: 2, after: page1?.pageInfo.endCursor ?? null },
      auth(),
    );
    const page2 = second.data?.accountMemberships;
    expect(page2?.edges.map((edge) => edge.node.accountMember.name)).toEqual([ron.name]);
    expect(page2?.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const [call1, call2] = stack.upstreamCalls();
    expect(call1?.query.get('page[limit]')).toBe('2');
    expect(call1?.query.get('page[offset]')).toBe('0');
    expect(call2?.query.get('page[offset]')).toBe('2');
  });

  it('narrows to one member with accountMemberId', async () => {
    const result = await stack.gateway.execute(AccountMembershipsDocument, { accountId: acme.id, accountMemberId: leslie.id }, auth());
    expect(result.data?.accountMemberships.edges.map((edge) => edge.node.id)).toEqual([DEMO.memberships.acmeLeslie.id]);
    expect(stack.upstreamCalls()[0]?.query.get('filter')).toBe(`eq(account_member_id,${leslie.id})`);
  });

  it.each([0, 101, -1])('refuses first: %d with BAD_USER_INPUT before calling Elastic Path', async (first) => {
    const result = await stack.gateway.execute(AccountMembershipsDocument, { accountId: acme.id, first }, auth());
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toContain('first must be from 1 to 100');
    expect(stack.upstreamCalls()).toHaveLength(0);
  });

  it('refuses a cursor it did not give out', async () => {
    const result = await stack.gateway.execute(AccountMembershipsDocument, { accountId: acme.id, after: 'not-a-cursor' }, auth());
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(stack.upstreamCalls()).toHaveLength(0);
  });

  it('answers NOT_FOUND for the memberships of a missing account', async () => {
    const result = await stack.gateway.execute(AccountMembershipsDocument, { accountId: MISSING }, auth());
    expect(result.data).toBeNull();
    expect(result.errors?.[0]).toMatchObject({
      message: `Account ${MISSING} was not found.`,
      extensions: { code: 'NOT_FOUND' },
    });
  });
});

describe('accountMembership and deleteAccountMembership', () => {
  it('creates, reads, deletes, and then finds nothing', async () => {
    const created = await stack.gateway.execute(
      CreateAccountMembershipDocument,
      { accountId: acmeEurope.id, accountMemberId: tom.id },
      auth(),
    );
    const membership = created.data?.createAccountMembership;
    if (membership?.__typename !== 'AccountMembership') throw new Error(`not created: ${JSON.stringify(created)}`);

    const read = await stack.gateway.execute(AccountMembershipDocument, { accountId: acmeEurope.id, id: membership.id }, auth());
    expect(read.data?.accountMembership).toMatchObject({ id: membership.id, accountMember: { name: tom.name } });

    const deleted = await stack.gateway.execute(DeleteAccountMembershipDocument, { accountId: acmeEurope.id, id: membership.id }, auth());
    expect(deleted.data?.deleteAccountMembership).toEqual({
      __typename: 'DeletedAccountMembership',
      id: membership.id,
      accountId: acmeEurope.id,
    });
    expect(
      stack
        .upstreamCalls()
        .filter((call) => call.method === 'DELETE')
        .map((call) => call.path),
    ).toEqual([`/v2/accounts/${acmeEurope.id}/account-memberships/${membership.id}`]);

    const gone = await stack.gateway.execute(AccountMembershipDocument, { accountId: acmeEurope.id, id: membership.id }, auth());
    expect(gone.errors).toBeUndefined();
    expect(gone.data?.accountMembership).toBeNull();

    const again = await stack.gateway.execute(DeleteAccountMembershipDocument, { accountId: acmeEurope.id, id: membership.id }, auth());
    expect(again.data?.deleteAccountMembership).toMatchObject({ __typename: 'NotFoundError', resource: 'AccountMembership' });
  });

  it('says which resource is missing when deleting from a missing account', async () => {
    const result = await stack.gateway.execute(DeleteAccountMembershipDocument, { accountId: MISSING, id: MISSING }, auth());
    expect(result.data?.deleteAccountMembership).toMatchObject({
      __typename: 'NotFoundError',
      resource: 'Account',
      message: `Account ${MISSING} was not found.`,
    });
  });

  it('refuses a non-UUID membership id with a ValidationError and no upstream call', async () => {
    const result = await stack.gateway.execute(DeleteAccountMembershipDocument, { accountId: acme.id, id: '../..' }, auth());
    expect(result.data?.deleteAccountMembership).toMatchObject({ __typename: 'ValidationError', field: 'id' });
    expect(stack.upstreamCalls()).toHaveLength(0);
  });

  it('answers null for a membership of a missing account', async () => {
    const result = await stack.gateway.execute(AccountMembershipDocument, { accountId: MISSING, id: MISSING }, auth());
    expect(result.errors).toBeUndefined();
    expect(result.data?.accountMembership).toBeNull();
  });
});

describe('account', () => {
  it('shows an account with its details, parent and members', async () => {
    const result = await stack.gateway.execute(AccountDocument, { id: acme.id }, auth());
    expect(result.data?.account).toMatchObject({
      id: acme.id,
      name: acme.name,
      legalName: 'Acme Corporation Ltd',
      registrationId: 'ACME-0001',
      externalRef: 'crm-1001',
      createdAt: '2024-01-10T09:00:00.000Z',
      parent: null,
    });
  });

  it('answers null for a missing account', async () => {
    const result = await stack.gateway.execute(AccountDocument, { id: MISSING }, auth());
    expect(result.errors).toBeUndefined();
    expect(result.data?.account).toBeNull();
  });
});

describe('accountMembers and unassignedAccountMembers', () => {
  it('lists members with a case-insensitive contains filter', async () => {
    const result = await stack.gateway.execute(AccountMembersDocument, { filter: { nameLike: 'SWAN' } }, auth());
    expect(result.data?.accountMembers.edges.map((edge) => edge.node.name)).toEqual([ron.name]);
    expect(stack.upstreamCalls()[0]?.query.get('filter')).toBe('like(name,"*SWAN*")');
  });

  it('combines filters with AND', async () => {
    const result = await stack.gateway.execute(AccountMembersDocument, { filter: { email: leslie.email, nameLike: 'knope' } }, auth());
    expect(result.data?.accountMembers.edges.map((edge) => edge.node.id)).toEqual([leslie.id]);
    expect(stack.upstreamCalls()[0]?.query.get('filter')).toBe(`eq(email,"${leslie.email}"):like(name,"*knope*")`);
  });

  it('keeps filter syntax in a value inside one quoted operand', async () => {
    const sneaky = 'x"),eq(email,"ron@swanson.com';
    const result = await stack.gateway.execute(AccountMembersDocument, { filter: { nameLike: sneaky } }, auth());
    expect(result.errors).toBeUndefined();
    expect(result.data?.accountMembers.totalCount).toBe(0);
    expect(stack.upstreamCalls()[0]?.query.get('filter')).toBe('like(name,"*x\\"),eq(email,\\"ron@swanson.com*")');
  });

  it('refuses a filter value over 128 characters with BAD_USER_INPUT before any call', async () => {
    const long = 'x'.repeat(9000);
    const listed = await stack.gateway.execute(AccountMembersDocument, { filter: { nameLike: long } }, auth());
    const unassigned = await stack.gateway.execute(
      UnassignedAccountMembersDocument,
      { accountId: acme.id, filter: { email: 'y'.repeat(129) } },
      auth(),
    );
    expect(listed.data).toBeNull();
    expect(listed.errors).toEqual([
      {
        message: 'filter.nameLike must be at most 128 characters; got 9000.',
        locations: [{ line: 2, column: 3 }],
        path: ['accountMembers'],
        extensions: { code: 'BAD_USER_INPUT', field: 'filter.nameLike' },
      },
    ]);
    expect(unassigned.errors?.map((error) => [error.message, error.extensions?.code])).toEqual([
      ['filter.email must be at most 128 characters; got 129.', 'BAD_USER_INPUT'],
    ]);
    expect(stack.upstreamCalls()).toHaveLength(0);
  });

  it('sends four filter values of the longest allowed length, of characters that encode longest, without Elastic Path refusing the URL', async () => {
    const longest = (char: string) => char.repeat(128);
    const result = await stack.gateway.execute(
      AccountMembersDocument,
      { filter: { name: longest('€'), email: longest('"'), nameLike: longest('字'), emailLike: longest('\\') } },
      auth(),
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.accountMembers.totalCount).toBe(0);
    expect(stack.upstreamCalls()).toHaveLength(1);
  });

  it('asks Elastic Path for a page of 25 from the start when first is not given', async () => {
    const result = await stack.gateway.execute(AccountMembersDocument, {}, auth());
    expect(result.errors).toBeUndefined();
    const [call] = stack.upstreamCalls();
    expect([call?.query.get('page[limit]'), call?.query.get('page[offset]')]).toEqual(['25', '0']);
  });

  it("refuses a page past Elastic Path's 10,000-record offset with BAD_USER_INPUT before any call", async () => {
    const after = Buffer.from('OffsetConnection:10000').toString('base64');
    const result = await stack.gateway.execute(AccountMembersDocument, { first: 10, after }, auth());
    expect(result.data).toBeNull();
    expect(result.errors?.map(({ message, extensions }) => ({ message, extensions }))).toEqual([
      {
        message: 'Elastic Path pages reach at most 10000 records deep; narrow the list with a filter.',
        extensions: { code: 'BAD_USER_INPUT' },
      },
    ]);
    expect(stack.upstreamCalls()).toHaveLength(0);
  });

  it('pages through all members: every member once, as many as totalCount', async () => {
    const seen: string[] = [];
    const totals = new Set<number>();
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const result = await stack.gateway.execute(AccountMembersDocument, { first: 2, after }, auth());
      expect(result.errors).toBeUndefined();
      const connection: AccountMembersQuery['accountMembers'] = result.data!.accountMembers;
      totals.add(connection.totalCount);
      seen.push(...connection.edges.map((edge) => edge.node.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor!;
    }
    expect([...totals]).toEqual([Object.keys(DEMO.members).length]);
    expect(seen).toHaveLength(Object.keys(DEMO.members).length);
    expect(new Set(seen)).toEqual(new Set(Object.values(DEMO.members).map((member) => member.id)));
    expect(stack.upstreamCalls()).toHaveLength(3);
  });

  it('lists the members who are not in an account', async () => {
    const result = await stack.gateway.execute(UnassignedAccountMembersDocument, { accountId: globex.id }, auth());
    const ids = result.data?.unassignedAccountMembers.edges.map((edge) => edge.node.id) ?? [];
    expect(ids).not.toContain(tom.id);
    expect(ids).toEqual(expect.arrayContaining([ron.id, leslie.id]));
  });

  it('answers NOT_FOUND for the unassigned members of a missing account', async () => {
    const result = await stack.gateway.execute(UnassignedAccountMembersDocument, { accountId: MISSING }, auth());
    expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('an implicit token', () => {
  it("is FORBIDDEN from memberships on its own, and reads one account's with its account-management token", async () => {
    const implicit = `Bearer ${stack.emulator.issueToken('implicit')}`;
    const alone = await stack.gateway.execute(AccountMembershipsDocument, { accountId: acme.id }, { authorization: implicit });
    expect(alone.errors?.[0]).toMatchObject({
      extensions: { code: 'FORBIDDEN', upstream: { status: 403, title: 'Forbidden', detail: 'forbidden' } },
    });

    const accountToken = stack.emulator.issueAccountManagementToken(acme.id);
    const withAccount = await stack.gateway.execute(
      AccountMembershipIdsDocument,
      { accountId: acme.id },
      { authorization: implicit, 'ep-account-management-authentication-token': accountToken },
    );
    expect(withAccount.errors).toBeUndefined();
    expect(withAccount.data?.accountMemberships.totalCount).toBeGreaterThanOrEqual(3);
    const last = stack.upstreamCalls().at(-1);
    expect(last?.headers['ep-account-management-authentication-token']).toBe(accountToken);
  });
});
