/** Ids can never change the upstream request: they are validated, and encoded in one place. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AccountMemberDocument, CreateAccountMembershipDocument } from '../gql/graphql.js';
import { epRoute } from '../../src/upstream/path.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ACCOUNT_ID, MEMBER_ID, TOKEN } from '../support/ids.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';

let upstream: ScriptedUpstream;
let gateway: TestGateway;

beforeAll(async () => {
  upstream = await startScriptedUpstream();
  gateway = await startGateway({ upstreamUrl: upstream.url });
});
afterEach(() => upstream.verify());
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

const hostile = [
  '../../v2/accounts',
  `${ACCOUNT_ID}/account-memberships/x`,
  `${ACCOUNT_ID}?filter=eq(id,1)`,
  `${ACCOUNT_ID}#fragment`,
  'http://attacker.example/steal',
  '//attacker.example',
  '%2e%2e%2f%2e%2e',
  `${ACCOUNT_ID}\r\nX-Injected: 1`,
  '',
  ' ',
  'ä'.repeat(500),
];

describe('hostile ids', () => {
  it.each(hostile)('refuses accountId %j with a ValidationError naming the argument, calling nothing', async (id) => {
    const result = await gateway.execute(
      CreateAccountMembershipDocument,
      { accountId: id, accountMemberId: MEMBER_ID },
      { authorization: TOKEN },
    );
    expect(result.data?.createAccountMembership).toMatchObject({
      __typename: 'ValidationError',
      field: 'accountId',
      message: expect.stringContaining('accountId must be an Elastic Path id'),
    });
    expect(upstream.received).toHaveLength(0);
  });

  it.each(hostile)('refuses accountMemberId %j the same way', async (id) => {
    const result = await gateway.execute(
      CreateAccountMembershipDocument,
      { accountId: ACCOUNT_ID, accountMemberId: id },
      { authorization: TOKEN },
    );
    expect(result.data?.createAccountMembership).toMatchObject({ __typename: 'ValidationError', field: 'accountMemberId' });
    expect(upstream.received).toHaveLength(0);
  });

  it('refuses a non-UUID id on a query with BAD_USER_INPUT, calling nothing', async () => {
    const result = await gateway.execute(AccountMemberDocument, { id: '../accounts' }, { authorization: TOKEN });
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'id' });
    expect(result.errors?.[0]?.message).toContain('id must be an Elastic Path id');
    expect(upstream.received).toHaveLength(0);
  });
});

describe('epRoute', () => {
  it('turns every id into exactly one encoded segment, and keeps the template for metrics', () => {
    expect(epRoute('/v2/accounts/{accountId}/x', { accountId: 'a/b?c=d#e' })).toEqual({
      route: '/v2/accounts/{accountId}/x',
      path: '/v2/accounts/a%2Fb%3Fc%3Dd%23e/x',
    });
    expect(epRoute('/v2/account-members/{id}', { id: '//evil.example' }).path).toBe('/v2/account-members/%2F%2Fevil.example');
  });

  it.each(['', '.', '..'])('refuses %j, which would change the resource meant', (segment) => {
    expect(() => epRoute('/v2/accounts/{accountId}', { accountId: segment })).toThrow(TypeError);
  });

  it('refuses a template whose id is missing', () => {
    expect(() => epRoute('/v2/accounts/{accountId}')).toThrow(/No value for \{accountId\}/);
  });
});
