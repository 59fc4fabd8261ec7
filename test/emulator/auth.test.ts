import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import { startEmulator, type EmulatorHarness } from './harness.js';
import { epError } from '../support/bodies.js';

const { acme, globex } = DEMO.accounts;
const { andy } = DEMO.members;
const { acmeRon } = DEMO.memberships;
const AM_HEADER = 'EP-Account-Management-Authentication-Token';

let ep: EmulatorHarness;
beforeEach(async () => {
  ep = await startEmulator({ clientId: 'shop-client', clientSecret: 'shop-secret' });
});
afterEach(async () => {
  vi.useRealTimers();
  await ep.close();
});

function requestToken(form: Record<string, string>) {
  return ep.call('/oauth/access_token', {
    method: 'POST',
    token: null,
    body: new URLSearchParams(form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

describe('POST /oauth/access_token', () => {
  it('issues a one-hour client_credentials token for the right id and secret', async () => {
    const before = Math.floor(Date.now() / 1000);
    const answer = await requestToken({
      grant_type: 'client_credentials',
      client_id: 'shop-client',
      client_secret: 'shop-secret',
    });

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      expires: expect.any(Number),
      identifier: 'client_credentials',
      expires_in: 3600,
      access_token: expect.stringMatching(/^[0-9a-f]{40}$/),
      token_type: 'Bearer',
    });
    expect(answer.body.expires - before).toBeGreaterThanOrEqual(3600);
    expect(answer.body.expires - before).toBeLessThanOrEqual(3601);

    const accounts = await ep.call('/v2/accounts', { token: answer.body.access_token });
    expect(accounts.status).toBe(200);
  });

  it('issues an implicit token for the right client id alone', async () => {
    const answer = await requestToken({ grant_type: 'implicit', client_id: 'shop-client' });

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ identifier: 'implicit', expires_in: 3600, token_type: 'Bearer' });
  });

  it.each([
    ['a wrong secret', { grant_type: 'client_credentials', client_id: 'shop-client', client_secret: 'nope' }],
    ['no secret', { grant_type: 'client_credentials', client_id: 'shop-client' }],
    ['a wrong client id', { grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'shop-secret' }],
    ['an implicit grant for a wrong client id', { grant_type: 'implicit', client_id: 'someone-else' }],
  ])('answers 401 for %s', async (_case, form) => {
    const answer = await requestToken(form);

    expect(answer.status).toBe(401);
    expect(answer.body).toEqual(epError('401', 'Unauthorized'));
  });

  it('answers 400 to a grant type it does not offer', async () => {
    const answer = await requestToken({ grant_type: 'password', client_id: 'shop-client' });

    expect(answer.status).toBe(400);
    expect(answer.body.errors[0]).toMatchObject({ status: '400', title: 'Bad Request' });
  });
});

const PROTECTED: ReadonlyArray<[string, string]> = [
  ['GET', '/v2/accounts'],
  ['GET', `/v2/accounts/${acme.id}`],
  ['GET', '/v2/account-members'],
  ['GET', `/v2/account-members/${andy.id}`],
  ['GET', `/v2/account-members/${andy.id}/account-memberships`],
  ['GET', `/v2/accounts/${acme.id}/account-memberships`],
  ['POST', `/v2/accounts/${acme.id}/account-memberships`],
  ['GET', `/v2/accounts/${acme.id}/account-memberships/unassigned-account-members`],
  ['GET', `/v2/accounts/${acme.id}/account-memberships/${acmeRon.id}`],
  ['DELETE', `/v2/accounts/${acme.id}/account-memberships/${acmeRon.id}`],
];
const joinAndy = { data: { type: 'account_membership', account_member_id: andy.id } };

describe('access tokens', () => {
  it.each(PROTECTED)('answers 401 to %s %s without a token', async (method, path) => {
    const answer = await ep.call(path, { method, token: null, json: method === 'POST' ? joinAndy : undefined });

    expect(answer.status).toBe(401);
    // Elastic Path's API gateway, not the service, answers this one: its status is a number.
    expect(answer.body).toEqual(epError(401, 'Unable to validate access token'));
  });

  it.each([
    ['a token it never issued', 'Bearer 0123456789abcdef0123456789abcdef01234567'],
    ['another scheme', 'Basic ZGVtby1jbGllbnQ6ZGVtby1zZWNyZXQ='],
    ['a bare token', 'TOKEN'],
  ])('answers 401 to %s', async (_case, authorization) => {
    const value = authorization === 'TOKEN' ? ep.token : authorization;
    const answer = await ep.call('/v2/accounts', { token: null, headers: { authorization: value } });

    expect(answer.status).toBe(401);
  });

  it('accepts the Bearer scheme in any case', async () => {
    const answer = await ep.call('/v2/accounts', { token: null, headers: { authorization: `bearer ${ep.token}` } });

    expect(answer.status).toBe(200);
  });

  it('answers 401 once a token is an hour old', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const token = ep.emulator.issueToken();
    vi.setSystemTime(Date.now() + 3599_000);
    expect((await ep.call('/v2/accounts', { token })).status).toBe(200);

    vi.setSystemTime(Date.now() + 1_000);
    const answer = await ep.call('/v2/accounts', { token });

    expect(answer.status).toBe(401);
    expect(answer.body.errors[0].title).toBe('Unable to validate access token');
  });

  it('checks the token before looking the account up', async () => {
    const answer = await ep.call('/v2/accounts/1e2d3c4b-0000-4000-8000-000000000000', { token: null });

    expect(answer.status).toBe(401);
  });
});

describe('implicit tokens', () => {
  it.each(PROTECTED)('answers 403 to %s %s with an implicit token alone', async (method, path) => {
    const answer = await ep.call(path, {
      method,
      token: ep.emulator.issueToken('implicit'),
      json: method === 'POST' ? joinAndy : undefined,
    });

    expect(answer.status).toBe(403);
    expect(answer.body).toEqual(epError('403', 'Forbidden', 'forbidden'));
  });

  it('reads the memberships of the account named by an Account Management token', async () => {
    const headers = { [AM_HEADER]: ep.emulator.issueAccountManagementToken(acme.id) };
    const token = ep.emulator.issueToken('implicit');

    const list = await ep.call(`/v2/accounts/${acme.id}/account-memberships?include=account_member`, { token, headers });
    const one = await ep.call(`/v2/accounts/${acme.id}/account-memberships/${acmeRon.id}`, { token, headers });

    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(3);
    expect(list.body.included.account_members).toHaveLength(3);
    expect(one.status).toBe(200);
    expect(one.body.data.id).toBe(acmeRon.id);
  });

  it('answers 403 to the memberships of another account than the token names', async () => {
    const answer = await ep.call(`/v2/accounts/${globex.id}/account-memberships`, {
      token: ep.emulator.issueToken('implicit'),
      headers: { [AM_HEADER]: ep.emulator.issueAccountManagementToken(acme.id) },
    });

    expect(answer.status).toBe(403);
  });

  it('answers 403 to an Account Management token it never issued', async () => {
    const answer = await ep.call(`/v2/accounts/${acme.id}/account-memberships`, {
      token: ep.emulator.issueToken('implicit'),
      headers: { [AM_HEADER]: 'made-up' },
    });

    expect(answer.status).toBe(403);
  });

  it.each([
    ['POST', `/v2/accounts/${acme.id}/account-memberships`],
    ['DELETE', `/v2/accounts/${acme.id}/account-memberships/${acmeRon.id}`],
    ['GET', `/v2/accounts/${acme.id}/account-memberships/unassigned-account-members`],
    ['GET', `/v2/accounts/${acme.id}`],
  ])('answers 403 to %s %s even with an Account Management token', async (method, path) => {
    const answer = await ep.call(path, {
      method,
      token: ep.emulator.issueToken('implicit'),
      headers: { [AM_HEADER]: ep.emulator.issueAccountManagementToken(acme.id) },
      json: method === 'POST' ? joinAndy : undefined,
    });

    expect(answer.status).toBe(403);
    expect(ep.emulator.store.membershipCount(acme.id)).toBe(3);
  });

  it('refuses to issue an Account Management token for an account it does not hold', () => {
    expect(() => ep.emulator.issueAccountManagementToken('1e2d3c4b-0000-4000-8000-000000000000')).toThrow(/not in the store/);
  });
});
