/** The caller's token: forwarded verbatim to Elastic Path only, required where Elastic Path is reached, never echoed. */
import { describe, expect, it } from 'vitest';
import { AccountMemberDocument, CreateAccountMembershipDocument } from '../gql/graphql.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ACCOUNT_ID, MEMBER_ID, TOKEN } from '../support/ids.js';
import { memberBody, membershipBody } from '../support/bodies.js';
import type { ScriptedUpstream } from '../support/scripted-upstream.js';
import { useScriptedGateway } from '../support/scripted-gateway.js';

let upstream: ScriptedUpstream;
let gateway: TestGateway;

useScriptedGateway({}, (started) => ({ upstream, gateway } = started));

const variables = { accountId: ACCOUNT_ID, accountMemberId: MEMBER_ID };

describe("forwarding the caller's credentials", () => {
  it('forwards Authorization and EP-Account-Management-Authentication-Token verbatim and nothing else', async () => {
    upstream.reply({ status: 201, json: membershipBody() }, { status: 200, json: memberBody() });
    const result = await gateway.execute(CreateAccountMembershipDocument, variables, {
      authorization: TOKEN,
      'ep-account-management-authentication-token': 'acct-token.abc_123',
      cookie: 'session=secret-cookie',
      'x-forwarded-for': '203.0.113.9',
      forwarded: 'for=203.0.113.9',
      'x-api-key': 'another-secret',
      'x-request-id': 'caller-chosen',
      connection: 'keep-alive, x-hop',
      'x-hop': 'hop-by-hop',
    });
    expect(result.data?.createAccountMembership).toMatchObject({ __typename: 'AccountMembership' });
    expect(upstream.received).toHaveLength(2);
    for (const request of upstream.received) {
      expect(request.headers.authorization).toBe(TOKEN);
      expect(request.headers['ep-account-management-authentication-token']).toBe('acct-token.abc_123');
      const names = Object.keys(request.headers).sort();
      expect(names.filter((name) => !['content-length', 'content-type'].includes(name))).toEqual([
        'accept',
        'authorization',
        'connection',
        'ep-account-management-authentication-token',
        'host',
      ]);
      expect(request.headers.connection).toBe('keep-alive');
      expect(request.headers.host).toBe(new URL(upstream.url).host);
      expect(request.headers.accept).toBe('application/json');
    }
    // Only the create carries a body, and says it is JSON; the member read says nothing of a body.
    const bodies = upstream.received.map((request) => [request.method, request.headers['content-type']]);
    expect(bodies.sort()).toEqual([
      ['GET', undefined],
      ['POST', 'application/json'],
    ]);
  });

  it('does not forward EP-Account-Management-Authentication-Token when the caller sends none', async () => {
    upstream.reply({ status: 200, json: memberBody() });
    await gateway.execute(AccountMemberDocument, { id: MEMBER_ID }, { authorization: TOKEN });
    expect(upstream.received[0]?.headers).not.toHaveProperty('ep-account-management-authentication-token');
  });

  it.each([
    ['no Authorization header', {}],
    ['a Basic Authorization header', { authorization: 'Basic ZGVtbzpkZW1v' }],
    ['an empty Bearer token', { authorization: 'Bearer ' }],
    ['a Bearer token with spaces', { authorization: 'Bearer abc def' }],
  ])('answers UNAUTHENTICATED and calls nothing upstream with %s', async (_name, headers: Record<string, string>) => {
    const result = await gateway.execute(CreateAccountMembershipDocument, variables, headers);
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.errors?.[0]?.message).toContain('Authorization: Bearer');
    expect(upstream.received).toHaveLength(0);
  });

  it.each([
    ['spaces', 'acct token'],
    ['a quote', 'acct"token'],
    ['more than 8192 characters', 'a'.repeat(8193)],
  ])(
    'answers UNAUTHENTICATED naming EP-Account-Management-Authentication-Token, and calls nothing upstream, when that header has %s',
    async (_name, accountToken) => {
      const headers = { authorization: TOKEN, 'ep-account-management-authentication-token': accountToken };
      const result = await gateway.execute(CreateAccountMembershipDocument, variables, headers);
      expect(result.data).toBeNull();
      expect(result.errors).toEqual([
        {
          message:
            'The EP-Account-Management-Authentication-Token header is not a token Elastic Path issued (up to 8192 letters, digits and -._~+/ characters). Send the token as Elastic Path issued it, or leave the header out.',
          locations: [{ line: 2, column: 3 }],
          path: ['createAccountMembership'],
          extensions: { code: 'UNAUTHENTICATED' },
        },
      ]);
      expect(upstream.received).toHaveLength(0);
      // Operations that never reach Elastic Path are still answered.
      expect((await gateway.post({ query: '{ __typename }' }, headers)).data).toEqual({ __typename: 'Query' });
    },
  );

  it('answers queries that never reach Elastic Path without a token', async () => {
    const result = await gateway.post({ query: '{ __typename __schema { queryType { name } } }' });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ __typename: 'Query', __schema: { queryType: { name: 'Query' } } });
    expect(upstream.received).toHaveLength(0);
  });

  it('never echoes the token in responses or logs, even when Elastic Path rejects it', async () => {
    const secret = 'Bearer s3cr3t-token-value-that-must-not-leak';
    upstream.reply({ status: 401, json: { errors: [{ status: 401, title: 'Unable to validate access token' }] } });
    const result = await gateway.execute(CreateAccountMembershipDocument, variables, { authorization: secret });
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(result)).not.toContain('s3cr3t');
    expect(gateway.logs.join('\n')).not.toContain('s3cr3t');
  });
});

describe("the test gateway's check that no token reached the logs", () => {
  it('knows tokens sent around its post(), by a plain fetch', async () => {
    const watched = await startGateway({ upstreamUrl: upstream.url });
    // Every log line names the service, so a "token" equal to that name is found in the logs.
    await fetch(`${watched.url}/health`, { headers: { authorization: 'Bearer ep-account-membership-gateway' } });
    await expect(watched.close()).rejects.toThrow("1 caller token(s) appeared in the gateway's logs");
  });
});
