/**
 * What callers see for Elastic Path's answers outside create: a delete's coded errors and retry
 * rules, a 409 that is not a duplicate create, a query input Elastic Path refuses, and a failure
 * nobody expected, masked. Each asserts what reached Elastic Path too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AccountMembersDocument, DeleteAccountMembershipDocument } from '../gql/graphql.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ACCOUNT_ID, MEMBERSHIP_ID, TOKEN } from '../support/ids.js';
import { epError, membershipBody } from '../support/bodies.js';
import { startScriptedUpstream, type ScriptedUpstream, type Reply } from '../support/scripted-upstream.js';

let upstream: ScriptedUpstream;
let gateway: TestGateway;

async function start(upstreamUrl?: string) {
  upstream = await startScriptedUpstream();
  gateway = await startGateway({ upstreamUrl: upstreamUrl ?? upstream.url, env: { EP_API_RETRY_BASE_MS: '5', EP_API_MAX_ATTEMPTS: '3' } });
}

afterEach(async () => {
  await gateway?.close();
  upstream?.verify();
  await upstream?.close();
});

const remove = () =>
  gateway.execute(DeleteAccountMembershipDocument, { accountId: ACCOUNT_ID, id: MEMBERSHIP_ID }, { authorization: TOKEN });
const deletePath = `/v2/accounts/${ACCOUNT_ID}/account-memberships/${MEMBERSHIP_ID}`;

describe('deleteAccountMembership', () => {
  it.each<[string, Reply, unknown]>([
    [
      '404 for the membership',
      { status: 404, json: epError('404', 'Not Found', 'Repository.GetAccountMembership failed: account membership not found') },
      { __typename: 'NotFoundError', resource: 'AccountMembership', message: `Account membership ${MEMBERSHIP_ID} was not found.` },
    ],
    [
      '404 for the account',
      { status: 404, json: epError('404', 'Not Found', 'account not found') },
      { __typename: 'NotFoundError', resource: 'Account', message: `Account ${ACCOUNT_ID} was not found.` },
    ],
  ])('answers a %s as a NotFoundError, sending the DELETE once', async (_name, reply, expected) => {
    await start();
    upstream.reply(reply);
    const result = await remove();
    expect(result.errors).toBeUndefined();
    expect(result.data?.deleteAccountMembership).toEqual(expected);
    expect(upstream.received.map((request) => `${request.method} ${request.rawUrl}`)).toEqual([`DELETE ${deletePath}`]);
  });

  it.each<[string, Reply, string]>([
    ['401', { status: 401, json: epError(401, 'Unable to validate access token') }, 'UNAUTHENTICATED'],
    ['403', { status: 403, json: epError('403', 'Forbidden', 'forbidden') }, 'FORBIDDEN'],
    ['409', { status: 409, json: epError('409', 'Conflict', 'the membership is being changed') }, 'CONFLICT'],
    ['500', { status: 500, json: epError('500', 'Internal Server Error') }, 'UPSTREAM_ERROR'],
    ['503', { status: 503, json: epError('503', 'Service Unavailable') }, 'UPSTREAM_UNAVAILABLE'],
  ])('answers %s with its code and never sends the DELETE again', async (_name, reply, code) => {
    await start();
    upstream.reply(reply);
    const result = await remove();
    expect(result.data).toBeNull();
    expect(result.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([[['deleteAccountMembership'], code]]);
    expect(upstream.received).toHaveLength(1);
  });

  describe('a lost answer', () => {
    const membershipGone = {
      status: 404,
      json: epError('404', 'Not Found', 'Repository.GetAccountMembership failed: account membership not found'),
    };
    const sentThenLookedUp = () => upstream.received.map((request) => `${request.method} ${request.rawUrl}`);

    it('is looked up by id, and a membership gone is answered as deleted, marked reconciled: one DELETE', async () => {
      await start();
      upstream.reply({ reset: true }, membershipGone);
      const result = await remove();
      expect(result.errors).toBeUndefined();
      expect(result.data?.deleteAccountMembership).toEqual({
        __typename: 'DeletedAccountMembership',
        id: MEMBERSHIP_ID,
        accountId: ACCOUNT_ID,
      });
      expect(result.extensions?.reconciled).toBe(true);
      expect(sentThenLookedUp()).toEqual([`DELETE ${deletePath}`, `GET ${deletePath}`]);
    });

    it.each<[string, Reply]>([
      ['still there', { status: 200, json: membershipBody() }],
      ['not looked up (the lookup fails)', { status: 503, json: epError(503, 'Service Unavailable') }],
    ])(
      'answers WRITE_OUTCOME_UNKNOWN, saying the delete is safe to repeat, when the membership is %s: one DELETE',
      async (_name, lookup) => {
        await start();
        upstream.reply({ reset: true }, lookup);
        upstream.always(lookup);
        const result = await remove();
        upstream.always(undefined);
        expect(result.data).toBeNull();
        expect(result.errors?.[0]?.extensions).toEqual({ code: 'WRITE_OUTCOME_UNKNOWN' });
        expect(result.errors?.[0]?.message).toMatch(
          /^Elastic Path's answer to removing membership \S+ from account \S+ \(.+\) was lost, .* may have been\. deleteAccountMembership is safe to repeat/,
        );
        expect(result.errors?.[0]?.message).not.toMatch(/try again/i);
        expect(upstream.received.filter((request) => request.method === 'DELETE')).toHaveLength(1);
        expect(sentThenLookedUp()[1]).toBe(`GET ${deletePath}`);
      },
    );
  });

  it("says what the conflict was for a 409 outside create, keeping Elastic Path's words", async () => {
    await start();
    upstream.reply({ status: 409, json: epError('409', 'Conflict', 'the membership is being changed') });
    const result = await remove();
    expect(result.errors?.[0]).toMatchObject({
      message: 'Elastic Path reported a conflict: Elastic Path rejected the request: the membership is being changed',
      extensions: { code: 'CONFLICT', upstream: { status: 409, title: 'Conflict', detail: 'the membership is being changed' } },
    });
  });

  it('sends the DELETE again after a 429, and removes the membership', async () => {
    await start();
    upstream.reply({ status: 429, json: epError('429', 'Too Many Requests') }, { status: 204 });
    const result = await remove();
    expect(result.data?.deleteAccountMembership).toEqual({
      __typename: 'DeletedAccountMembership',
      id: MEMBERSHIP_ID,
      accountId: ACCOUNT_ID,
    });
    expect(upstream.received.map((request) => request.method)).toEqual(['DELETE', 'DELETE']);
  });

  it('sends the DELETE again when the connection was refused, since it never reached Elastic Path', async () => {
    // Nothing listens on port 1.
    await start('http://127.0.0.1:1');
    const result = await remove();
    expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['UPSTREAM_UNAVAILABLE']);
    expect(gateway.gateway.upstream.stats()).toMatchObject({ calls: 1, retries: 2 });
  });
});

describe('a query input Elastic Path refuses', () => {
  it("is BAD_USER_INPUT with Elastic Path's reason", async () => {
    await start();
    upstream.reply({ status: 400, json: epError('400', 'Bad Request', "invalid filter: unknown field 'name'") });
    const result = await gateway.execute(AccountMembersDocument, { filter: { name: 'Ron' } }, { authorization: TOKEN });
    expect(result.data).toBeNull();
    expect(result.errors?.map(({ message, path, extensions }) => ({ message, path, extensions }))).toEqual([
      {
        message: "Elastic Path rejected the request: invalid filter: unknown field 'name'",
        path: ['accountMembers'],
        extensions: { code: 'BAD_USER_INPUT' },
      },
    ]);
    expect(upstream.received).toHaveLength(1);
  });
});

describe('a failure nobody expected', () => {
  it('is masked as "Unexpected error." with nothing of the failure in the answer', async () => {
    await start();
    // An account without a name: `Account.name` is non-null, so resolving it fails in a way no
    // code path maps to an error for callers.
    upstream.reply({ status: 200, json: { data: { id: ACCOUNT_ID, type: 'account', secret_note: 'internal detail' } } });
    const result = await gateway.post({ query: `{ account(id: "${ACCOUNT_ID}") { id name } }` }, { authorization: TOKEN });
    expect(result.data).toEqual({ account: null });
    expect(result.errors).toEqual([
      {
        message: 'Unexpected error.',
        locations: [{ line: 1, column: 60 }],
        path: ['account', 'name'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    expect(JSON.stringify(result)).not.toMatch(/internal detail|stack|originalError|non-nullable/i);
  });
});
