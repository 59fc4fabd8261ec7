/**
 * Elastic Path's official JS SDK, which nobody here wrote, run against the emulator: if the SDK
 * logs in, reads, pages, creates and deletes through it and gets back what it expects, the
 * emulator speaks the wire protocol the SDK was built for.
 */
import type { AccountMembershipsInclude } from '@elasticpath/js-sdk';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import { createSdkClient, type SdkClient } from './elasticpath-sdk-client.js';
import { startEmulator, type EmulatorHarness } from './harness.js';
import { epError } from '../support/bodies.js';

const { acme, globex } = DEMO.accounts;
const { ron, leslie, april, andy, tom } = DEMO.members;
const { acmeRon, acmeLeslie, acmeApril, acmeEuropeRon } = DEMO.memberships;
const UNKNOWN = '0f000000-0000-4000-8000-00000000dead';

// The SDK's option setters (Limit, Offset, Filter, With) return the endpoint at runtime, but are
// typed as returning a generic QueryableResource without the endpoint's own methods; so the tests
// set options first and then call the endpoint, which the SDK allows equally.

let ep: EmulatorHarness;
let client: SdkClient;
beforeEach(async () => {
  ep = await startEmulator();
  client = createSdkClient(ep.baseUrl);
  // Log in before the first call: the SDK leaves Limit/Offset/Filter set on an endpoint after
  // a call that had to authenticate first, and would carry them into the next call.
  await client.sdk.Authenticate();
  ep.emulator.clearRequests();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await ep.close();
});

const ids = (page: { data: Array<{ id: string }> }) => page.data.map((item) => item.id);
/** What the emulator received, as `METHOD /path?query`. */
const received = () => ep.emulator.requests.map((request) => `${request.method} ${request.url}`);

describe('logging in', () => {
  it('gets a client_credentials token from the emulator and sends it on every call', async () => {
    const { sdk, storage } = createSdkClient(ep.baseUrl);

    const credentials = await sdk.Authenticate();
    await sdk.AccountMembers.Get(ron.id);

    expect(credentials).toEqual({
      expires: expect.any(Number),
      identifier: 'client_credentials',
      expires_in: 3600,
      access_token: expect.any(String),
      token_type: 'Bearer',
    });
    expect(JSON.parse(storage.get('epCredentials'))).toMatchObject({
      client_id: 'demo-client',
      access_token: credentials.access_token,
    });
    const [login, read] = ep.emulator.requests;
    expect(login).toMatchObject({ method: 'POST', path: '/oauth/access_token' });
    expect(login?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(login?.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'demo-client',
      client_secret: 'demo-secret',
    });
    expect(read).toMatchObject({ method: 'GET', path: `/v2/account-members/${ron.id}` });
    expect(read?.headers.authorization).toBe(`Bearer ${credentials.access_token}`);
    expect(read?.headers['x-moltin-sdk-language']).toBe('JS');
    expect(ep.emulator.requests).toHaveLength(2);
  });

  it('logs in by itself on the first call when it holds no token', async () => {
    const { sdk } = createSdkClient(ep.baseUrl, { name: 'fresh' });
    const tokenStatus = vi.spyOn(console, 'info').mockImplementation(() => undefined);

    const member = await sdk.AccountMembers.Get(ron.id);

    expect(tokenStatus).toHaveBeenCalledWith('Token status: credentials do not exist');
    expect(member.data.name).toBe('Ron Swanson');
    expect(received()).toEqual(['POST /oauth/access_token', `GET /v2/account-members/${ron.id}`]);
  });

  it("logs in again and retries when the emulator answers 401 to a token it doesn't know", async () => {
    const { sdk, storage } = createSdkClient(ep.baseUrl);
    const stale = { client_id: 'demo-client', access_token: 'issued-by-another-emulator', expires: Date.now() / 1000 + 3600 };
    storage.set('epCredentials', JSON.stringify(stale));

    const member = await sdk.AccountMembers.Get(ron.id);

    expect(member.data.id).toBe(ron.id);
    expect(received()).toEqual([`GET /v2/account-members/${ron.id}`, 'POST /oauth/access_token', `GET /v2/account-members/${ron.id}`]);
    const [refused, , retried] = ep.emulator.requests;
    expect(refused?.headers.authorization).toBe('Bearer issued-by-another-emulator');
    expect(retried?.headers.authorization).toBe(`Bearer ${JSON.parse(storage.get('epCredentials')).access_token}`);
  });

  it('surfaces the 401 body when the client secret is wrong', async () => {
    const { sdk } = createSdkClient(ep.baseUrl, { client_secret: 'wrong' });

    await expect(sdk.Authenticate()).rejects.toEqual(epError('401', 'Unauthorized'));
  });
});

describe('AccountMemberships', () => {
  it("All lists an account's memberships, newest first", async () => {
    const page = await client.sdk.AccountMemberships.All(acme.id);

    expect(ids(page)).toEqual([acmeApril.id, acmeLeslie.id, acmeRon.id]);
    expect(page.data.map((item) => item.relationships.account_member.data.id)).toEqual([april.id, leslie.id, ron.id]);
    expect(page.meta).toEqual({ page: { limit: 25, offset: 0, current: 1, total: 1 }, results: { total: 3 } });
    expect(received()).toEqual([`GET /v2/accounts/${acme.id}/account-memberships`]);
  });

  it('All pages with Limit and Offset', async () => {
    const { AccountMemberships } = client.sdk;

    AccountMemberships.Limit(2);
    const first = await AccountMemberships.All(acme.id);
    AccountMemberships.Limit(2).Offset(2);
    const second = await AccountMemberships.All(acme.id);

    expect(ids(first)).toEqual([acmeApril.id, acmeLeslie.id]);
    expect(first.meta.page).toEqual({ limit: 2, offset: 0, current: 1, total: 2 });
    expect(first.links.next).toBe(`${ep.baseUrl}/v2/accounts/${acme.id}/account-memberships?page[offset]=2&page[limit]=2`);
    expect(ids(second)).toEqual([acmeRon.id]);
    expect(second.meta.page).toEqual({ limit: 2, offset: 2, current: 2, total: 2 });
    expect(second.links.next).toBeNull();
    expect(received()).toEqual([
      `GET /v2/accounts/${acme.id}/account-memberships?page[limit]=2`,
      `GET /v2/accounts/${acme.id}/account-memberships?page[limit]=2&page[offset]=2`,
    ]);
  });

  it('All filters by member and includes the members', async () => {
    // The SDK types the include as 'account_members' (the key of `included`); on the wire it is
    // the singular 'account_member' (EP-BEHAVIOUR, and the OpenAPI document's example).
    const include = 'account_member' as unknown as AccountMembershipsInclude;

    const { AccountMemberships } = client.sdk;

    AccountMemberships.Filter({ eq: { account_member_id: ron.id } }).With(include);
    const page = await AccountMemberships.All(acme.id);

    expect(ids(page)).toEqual([acmeRon.id]);
    expect(page.included?.account_members.map((member) => member.name)).toEqual(['Ron Swanson']);
    expect(ep.emulator.requests[0]?.query.get('filter')).toBe(`eq(account_member_id,${ron.id})`);
    expect(ep.emulator.requests[0]?.query.get('include')).toBe('account_member');
  });

  it('Get reads one membership', async () => {
    const membership = await client.sdk.AccountMemberships.Get(acme.id, acmeRon.id);

    expect(membership.data).toMatchObject({
      id: acmeRon.id,
      type: 'account_membership',
      relationships: { account_member: { data: { id: ron.id, type: 'account_member' } } },
    });
    expect(received()).toEqual([`GET /v2/accounts/${acme.id}/account-memberships/${acmeRon.id}`]);
  });

  it('Create adds a member to an account', async () => {
    const created = await client.sdk.AccountMemberships.Create(globex.id, {
      type: 'account_membership',
      account_member_id: andy.id,
    });

    expect(created.data).toMatchObject({
      type: 'account_membership',
      relationships: { account_member: { data: { id: andy.id, type: 'account_member' } } },
    });
    expect(ids(await client.sdk.AccountMemberships.All(globex.id))).toEqual([created.data.id, DEMO.memberships.globexTom.id]);
    const [create] = ep.emulator.requests;
    expect(create).toMatchObject({ method: 'POST', path: `/v2/accounts/${globex.id}/account-memberships` });
    expect(JSON.parse(create?.body ?? '')).toEqual({ data: { type: 'account_membership', account_member_id: andy.id } });
  });

  it('Create rejects a member already in the account with the 409 body', async () => {
    const duplicate = client.sdk.AccountMemberships.Create(acme.id, { type: 'account_membership', account_member_id: ron.id });

    await expect(duplicate).rejects.toEqual(
      epError('409', 'Conflict', 'account membership with the given account id and account member id already exists'),
    );
    expect(received()).toEqual([`POST /v2/accounts/${acme.id}/account-memberships`]);
  });

  it('Create rejects an unknown account with the 404 body', async () => {
    const create = client.sdk.AccountMemberships.Create(UNKNOWN, { type: 'account_membership', account_member_id: andy.id });

    await expect(create).rejects.toEqual(epError('404', 'Not Found', 'account not found'));
  });

  it('Delete removes a membership; Get then rejects with the 404 body', async () => {
    await client.sdk.AccountMemberships.Delete(acme.id, acmeRon.id);

    await expect(client.sdk.AccountMemberships.Get(acme.id, acmeRon.id)).rejects.toEqual(
      epError('404', 'Not Found', 'Repository.GetAccountMembership failed: account membership not found'),
    );
    await expect(client.sdk.AccountMemberships.Delete(acme.id, acmeRon.id)).rejects.toMatchObject({
      errors: [{ status: '404' }],
    });
    expect(ep.emulator.store.getMembership(acme.id, acmeRon.id)).toBeUndefined();
    expect(received()).toEqual([
      `DELETE /v2/accounts/${acme.id}/account-memberships/${acmeRon.id}`,
      `GET /v2/accounts/${acme.id}/account-memberships/${acmeRon.id}`,
      `DELETE /v2/accounts/${acme.id}/account-memberships/${acmeRon.id}`,
    ]);
  });

  it("AllOnAccountMember lists a member's memberships with their accounts", async () => {
    const include = 'account' as unknown as AccountMembershipsInclude;

    const { AccountMemberships } = client.sdk;

    AccountMemberships.With(include);
    const page = await AccountMemberships.AllOnAccountMember(ron.id, null);

    expect(ids(page)).toEqual([acmeEuropeRon.id, acmeRon.id]);
    expect(page.included?.accounts.map((account) => account.name)).toEqual(['Acme Europe', 'Acme Corporation']);
    expect(received()).toEqual([`GET /v2/account-members/${ron.id}/account-memberships?include=account`]);
  });
});

describe('AccountMembers', () => {
  it('Get reads a member', async () => {
    const member = await client.sdk.AccountMembers.Get(ron.id);

    expect(member.data).toMatchObject({ id: ron.id, type: 'account_member', name: 'Ron Swanson', email: 'ron@swanson.com' });
  });

  it('Get rejects an unknown member with the 404 body', async () => {
    await expect(client.sdk.AccountMembers.Get(UNKNOWN)).rejects.toEqual(epError('404', 'Not Found', 'not found'));
  });

  it('All lists every member, and pages and filters', async () => {
    const { AccountMembers } = client.sdk;

    const all = await AccountMembers.All();
    AccountMembers.Limit(2).Offset(1);
    const page = await AccountMembers.All();
    AccountMembers.Filter({ like: { name: '*swan*' } });
    const filtered = await AccountMembers.All();

    expect(ids(all)).toEqual([tom.id, andy.id, april.id, leslie.id, ron.id]);
    expect(ids(page)).toEqual([andy.id, april.id]);
    expect((page as typeof page & { meta: { results: { total: number } } }).meta.results.total).toBe(5);
    expect(ids(filtered)).toEqual([ron.id]);
    expect(received()).toEqual([
      'GET /v2/account-members',
      'GET /v2/account-members?page[limit]=2&page[offset]=1',
      'GET /v2/account-members?filter=like(name,*swan*)',
    ]);
  });

  it('UnassignedAccountMembers lists the members not in an account, and pages', async () => {
    const { AccountMembers } = client.sdk;

    const unassigned = await AccountMembers.UnassignedAccountMembers(acme.id);
    AccountMembers.Limit(1).Offset(1);
    const second = await AccountMembers.UnassignedAccountMembers(acme.id);
    AccountMembers.Filter({ eq: { email: 'andy@dwyer.com' } });
    const byEmail = await AccountMembers.UnassignedAccountMembers(acme.id);

    expect(ids(unassigned)).toEqual([tom.id, andy.id]);
    expect(ids(second)).toEqual([andy.id]);
    expect(ids(byEmail)).toEqual([andy.id]);
    expect(received()).toEqual([
      `GET /v2/accounts/${acme.id}/account-memberships/unassigned-account-members`,
      `GET /v2/accounts/${acme.id}/account-memberships/unassigned-account-members?page[limit]=1&page[offset]=1`,
      `GET /v2/accounts/${acme.id}/account-memberships/unassigned-account-members?filter=eq(email,andy@dwyer.com)`,
    ]);
  });

  it('UnassignedAccountMembers rejects an unknown account with the 404 body', async () => {
    await expect(client.sdk.AccountMembers.UnassignedAccountMembers(UNKNOWN)).rejects.toEqual(
      epError('404', 'Not Found', 'account not found'),
    );
  });
});
