import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import { ISO_8601, startEmulator, type EmulatorHarness } from './harness.js';
import { epError } from '../support/bodies.js';
import { UUID } from '../../src/domain/ids.js';

const { acme, acmeEurope, globex } = DEMO.accounts;
const { ron, leslie, april, andy, tom } = DEMO.members;
const { acmeRon, acmeLeslie, acmeApril, acmeEuropeRon, globexTom } = DEMO.memberships;

const membershipsOf = (accountId: string) => `/v2/accounts/${accountId}/account-memberships`;
const joinBody = (memberId: string) => ({ data: { type: 'account_membership', account_member_id: memberId } });

let ep: EmulatorHarness;
beforeEach(async () => {
  ep = await startEmulator();
});
afterEach(async () => {
  await ep.close();
});

describe('POST /v2/accounts/{accountID}/account-memberships', () => {
  it('creates a membership and answers 201 with the membership and its self link', async () => {
    const created = await ep.call(membershipsOf(acme.id), { method: 'POST', json: joinBody(andy.id) });

    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toBe('application/json');
    const { data, links } = created.body;
    expect(data).toEqual({
      id: expect.stringMatching(UUID),
      type: 'account_membership',
      meta: { timestamps: { created_at: expect.stringMatching(ISO_8601), updated_at: data.meta.timestamps.created_at } },
      relationships: { account_member: { data: { id: andy.id, type: 'account_member' } } },
    });
    expect(links).toEqual({ self: `${ep.baseUrl}/v2/accounts/${acme.id}/account-memberships/${data.id}` });

    const fetched = await ep.call(`${membershipsOf(acme.id)}/${data.id}`);
    expect(fetched.body.data).toEqual(data);
  });

  it('answers 409 when the same member joins the same account twice', async () => {
    const answer = await ep.call(membershipsOf(acme.id), { method: 'POST', json: joinBody(ron.id) });

    expect(answer.status).toBe(409);
    expect(answer.body).toEqual(
      epError('409', 'Conflict', 'account membership with the given account id and account member id already exists'),
    );
  });

  it('lets the same member join several accounts', async () => {
    const first = await ep.call(membershipsOf(acme.id), { method: 'POST', json: joinBody(andy.id) });
    const second = await ep.call(membershipsOf(globex.id), { method: 'POST', json: joinBody(andy.id) });

    expect([first.status, second.status]).toEqual([201, 201]);
    expect(first.body.data.id).not.toBe(second.body.data.id);
  });

  it('answers 404 "account not found" for an unknown account', async () => {
    const answer = await ep.call(membershipsOf('1e2d3c4b-0000-4000-8000-000000000000'), {
      method: 'POST',
      json: joinBody(andy.id),
    });

    expect(answer.status).toBe(404);
    expect(answer.body).toEqual(epError('404', 'Not Found', 'account not found'));
  });

  it('answers 404 "not found" for an unknown account member', async () => {
    const answer = await ep.call(membershipsOf(acme.id), {
      method: 'POST',
      json: joinBody('1e2d3c4b-0000-4000-8000-000000000000'),
    });

    expect(answer.status).toBe(404);
    expect(answer.body).toEqual(epError('404', 'Not Found', 'not found'));
  });

  it('answers 422 when the body type is not account_membership', async () => {
    const answer = await ep.call(membershipsOf(acme.id), {
      method: 'POST',
      json: { data: { type: 'account_member', account_member_id: andy.id } },
    });

    expect(answer.status).toBe(422);
    expect(answer.body).toEqual(
      epError('422', 'Unprocessable Entity', "Validation failed: field 'Type' on the 'account-membership-type' tag."),
    );
    expect(ep.emulator.store.membershipCount(acme.id)).toBe(3);
  });

  it('answers 422 when the body has no account_member_id', async () => {
    const answer = await ep.call(membershipsOf(acme.id), { method: 'POST', json: { data: { type: 'account_membership' } } });

    expect(answer.status).toBe(422);
    expect(answer.body.errors[0].detail).toBe("Validation failed: field 'AccountMemberID' on the 'required' tag.");
  });

  it.each([
    ['a body that is not JSON', '{"data": {'],
    ['an empty body', ''],
    ['a body without a data object', '{"type":"account_membership"}'],
    ['a JSON array', '[]'],
  ])('answers 400 Bad Request for %s', async (_case, body) => {
    const answer = await ep.call(membershipsOf(acme.id), {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });

    expect(answer.status).toBe(400);
    expect(answer.body.errors[0]).toMatchObject({ status: '400', title: 'Bad Request', detail: expect.any(String) });
  });

  it('accepts the 1000th membership of an account and answers 400 to the 1001st', async () => {
    const { store } = ep.emulator;
    const account = store.addAccount({ name: 'Crowded' });
    for (let index = 0; index < 999; index++) {
      const member = store.addMember({ name: `Member ${index}`, email: `member${index}@example.com` });
      store.addMembership(account.id, member.id);
    }

    const thousandth = await ep.call(membershipsOf(account.id), { method: 'POST', json: joinBody(andy.id) });
    const oneMore = await ep.call(membershipsOf(account.id), { method: 'POST', json: joinBody(tom.id) });

    expect(thousandth.status).toBe(201);
    expect(oneMore.status).toBe(400);
    expect(oneMore.body).toEqual(
      epError('400', 'Bad Request', 'the number of account memberships with a particular account exceeds the limit'),
    );
    expect(store.membershipCount(account.id)).toBe(1000);
  });

  it('applies the membershipLimit option instead of 1000', async () => {
    const small = await startEmulator({ membershipLimit: 3 });
    try {
      const answer = await small.call(membershipsOf(acme.id), { method: 'POST', json: joinBody(andy.id) });
      expect(answer.status).toBe(400);
    } finally {
      await small.close();
    }
  });

  it.each(['PUT', 'DELETE'])('answers 405 to %s on the memberships collection', async (method) => {
    const answer = await ep.call(membershipsOf(acme.id), { method, json: joinBody(andy.id) });

    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET, POST');
    expect(answer.body.errors[0]).toMatchObject({ status: '405', title: 'Method Not Allowed' });
    expect(ep.emulator.store.membershipCount(acme.id)).toBe(3);
  });
});

describe('GET /v2/accounts/{accountID}/account-memberships', () => {
  it('lists the memberships of the account, newest first', async () => {
    const answer = await ep.call(membershipsOf(acme.id));

    expect(answer.status).toBe(200);
    expect(answer.body.data.map((item: { id: string }) => item.id)).toEqual([acmeApril.id, acmeLeslie.id, acmeRon.id]);
    expect(answer.body.data[2]).toEqual({
      id: acmeRon.id,
      type: 'account_membership',
      meta: { timestamps: { created_at: '2024-03-01T10:00:00.000Z', updated_at: '2024-03-01T10:00:00.000Z' } },
      relationships: { account_member: { data: { id: ron.id, type: 'account_member' } } },
      links: { self: `${ep.baseUrl}/v2/accounts/${acme.id}/account-memberships/${acmeRon.id}` },
    });
    expect(answer.body.meta.results.total).toBe(3);
  });

  it('shows memberships created and deleted since an earlier list of the same account', async () => {
    const ids = async () => (await ep.call(membershipsOf(acme.id))).body.data.map((item: { id: string }) => item.id);
    expect(await ids()).toEqual([acmeApril.id, acmeLeslie.id, acmeRon.id]);

    const created = await ep.call(membershipsOf(acme.id), { method: 'POST', json: joinBody(andy.id) });
    expect(await ids()).toEqual([created.body.data.id, acmeApril.id, acmeLeslie.id, acmeRon.id]);

    await ep.call(`${membershipsOf(acme.id)}/${acmeLeslie.id}`, { method: 'DELETE' });
    expect(await ids()).toEqual([created.body.data.id, acmeApril.id, acmeRon.id]);
  });

  it("adds the page's members under included.account_members with include=account_member", async () => {
    const answer = await ep.call(`${membershipsOf(acme.id)}?include=account_member&page[limit]=2`);

    expect(answer.body.included).toEqual({
      account_members: [
        expect.objectContaining({ id: april.id, type: 'account_member', name: april.name, email: april.email }),
        expect.objectContaining({ id: leslie.id, type: 'account_member', name: leslie.name, email: leslie.email }),
      ],
    });
  });

  it('leaves included out without include=account_member', async () => {
    const answer = await ep.call(membershipsOf(acme.id));

    expect(answer.body).not.toHaveProperty('included');
  });

  it('leaves included out when the page has nothing to include', async () => {
    const empty = ep.emulator.store.addAccount({ name: 'Empty' });

    const answer = await ep.call(`${membershipsOf(empty.id)}?include=account_member`);

    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual([]);
    expect(answer.body).not.toHaveProperty('included');
  });

  it('answers 400 to an include it does not know, such as the plural account_members', async () => {
    const answer = await ep.call(`${membershipsOf(acme.id)}?include=account_members`);

    expect(answer.status).toBe(400);
    expect(answer.body.errors[0].detail).toContain('account_members');
  });

  it('filters on account_member_id with eq and like', async () => {
    const byEq = await ep.call(`${membershipsOf(acme.id)}?filter=eq(account_member_id,${leslie.id})`);
    const byLike = await ep.call(`${membershipsOf(acme.id)}?filter=like(account_member_id,*${ron.id.slice(-6)})`);

    expect(byEq.body.data.map((item: { id: string }) => item.id)).toEqual([acmeLeslie.id]);
    expect(byLike.body.data.map((item: { id: string }) => item.id)).toEqual([acmeRon.id]);
  });

  it('answers 400 to in() on account_member_id, which Elastic Path does not offer there', async () => {
    const answer = await ep.call(`${membershipsOf(acme.id)}?filter=in(account_member_id,${ron.id},${leslie.id})`);

    expect(answer.status).toBe(400);
    expect(answer.body.errors[0].detail).toContain("'in'");
  });

  it.each([
    ['created_at', [acmeRon.id, acmeLeslie.id, acmeApril.id]],
    ['-created_at', [acmeApril.id, acmeLeslie.id, acmeRon.id]],
    ['id', [acmeRon.id, acmeLeslie.id, acmeApril.id]],
    ['-id', [acmeApril.id, acmeLeslie.id, acmeRon.id]],
  ])('sorts by %s', async (sort, expected) => {
    const answer = await ep.call(`${membershipsOf(acme.id)}?sort=${sort}`);

    expect(answer.body.data.map((item: { id: string }) => item.id)).toEqual(expected);
  });

  it('sorts by updated_at', async () => {
    const { store } = ep.emulator;
    const account = store.addAccount({ name: 'Edited' });
    const older = store.addMembership(account.id, ron.id, { created_at: '2024-05-01T00:00:00Z', updated_at: '2024-07-01T00:00:00Z' });
    const newer = store.addMembership(account.id, tom.id, { created_at: '2024-06-01T00:00:00Z', updated_at: '2024-06-02T00:00:00Z' });

    const answer = await ep.call(`${membershipsOf(account.id)}?sort=-updated_at`);

    expect(answer.body.data.map((item: { id: string }) => item.id)).toEqual([older.id, newer.id]);
  });

  it('answers 400 to a sort field it does not know', async () => {
    const answer = await ep.call(`${membershipsOf(acme.id)}?sort=name`);

    expect(answer.status).toBe(400);
    expect(answer.body.errors[0].detail).toContain("'name'");
  });

  it('answers 404 "account not found" for an unknown account', async () => {
    const answer = await ep.call(membershipsOf('1e2d3c4b-0000-4000-8000-000000000000'));

    expect(answer.status).toBe(404);
    expect(answer.body).toEqual(epError('404', 'Not Found', 'account not found'));
  });
});

describe('GET /v2/accounts/{accountID}/account-memberships/{membershipID}', () => {
  it('answers the membership with its self link', async () => {
    const answer = await ep.call(`${membershipsOf(acme.id)}/${acmeLeslie.id}`);

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      data: {
        id: acmeLeslie.id,
        type: 'account_membership',
        meta: { timestamps: { created_at: '2024-03-02T10:00:00.000Z', updated_at: '2024-03-02T10:00:00.000Z' } },
        relationships: { account_member: { data: { id: leslie.id, type: 'account_member' } } },
      },
      links: { self: `${ep.baseUrl}/v2/accounts/${acme.id}/account-memberships/${acmeLeslie.id}` },
    });
  });

  it('adds the member under included.account_members with include=account_member', async () => {
    const answer = await ep.call(`${membershipsOf(acme.id)}/${acmeRon.id}?include=account_member`);

    expect(answer.body.included).toEqual({
      account_members: [
        {
          id: ron.id,
          type: 'account_member',
          name: 'Ron Swanson',
          email: 'ron@swanson.com',
          given_name: 'Ron',
          family_name: 'Swanson',
          meta: { timestamps: { created_at: '2024-02-01T08:30:00.8810Z', updated_at: '2024-02-01T08:30:00.8810Z' } },
        },
      ],
    });
  });

  it('answers 404 with the repository text for an unknown membership', async () => {
    const answer = await ep.call(`${membershipsOf(acme.id)}/1e2d3c4b-0000-4000-8000-000000000000`);

    expect(answer.status).toBe(404);
    expect(answer.body).toEqual(epError('404', 'Not Found', 'Repository.GetAccountMembership failed: account membership not found'));
  });

  it('answers 404 for a membership that belongs to another account', async () => {
    const answer = await ep.call(`${membershipsOf(acme.id)}/${acmeEuropeRon.id}`);

    expect(answer.status).toBe(404);
    expect(answer.body.errors[0].detail).toBe('Repository.GetAccountMembership failed: account membership not found');
  });

  it('answers 404 "account not found" when the account is unknown', async () => {
    const answer = await ep.call(`${membershipsOf('1e2d3c4b-0000-4000-8000-000000000000')}/${acmeRon.id}`);

    expect(answer.status).toBe(404);
    expect(answer.body.errors[0].detail).toBe('account not found');
  });
});

describe('DELETE /v2/accounts/{accountID}/account-memberships/{membershipID}', () => {
  it('answers 204 without a body, after which the membership is gone', async () => {
    const deleted = await ep.call(`${membershipsOf(acme.id)}/${acmeLeslie.id}`, { method: 'DELETE' });

    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect(deleted.headers.get('content-type')).toBeNull();

    const fetched = await ep.call(`${membershipsOf(acme.id)}/${acmeLeslie.id}`);
    expect(fetched.status).toBe(404);
    expect(fetched.body.errors[0].detail).toBe('Repository.GetAccountMembership failed: account membership not found');
    const listed = await ep.call(membershipsOf(acme.id));
    expect(listed.body.data.map((item: { id: string }) => item.id)).toEqual([acmeApril.id, acmeRon.id]);
  });

  it('lets the member join the account again after the delete', async () => {
    await ep.call(`${membershipsOf(acme.id)}/${acmeLeslie.id}`, { method: 'DELETE' });

    const rejoined = await ep.call(membershipsOf(acme.id), { method: 'POST', json: joinBody(leslie.id) });

    expect(rejoined.status).toBe(201);
    expect(rejoined.body.data.id).not.toBe(acmeLeslie.id);
  });

  it('answers 404 to a second delete of the same membership', async () => {
    await ep.call(`${membershipsOf(acme.id)}/${acmeLeslie.id}`, { method: 'DELETE' });

    const again = await ep.call(`${membershipsOf(acme.id)}/${acmeLeslie.id}`, { method: 'DELETE' });

    expect(again.status).toBe(404);
    expect(again.body).toEqual(epError('404', 'Not Found', 'Repository.GetAccountMembership failed: account membership not found'));
  });

  it("does not delete a membership through another account's path", async () => {
    const answer = await ep.call(`${membershipsOf(acme.id)}/${globexTom.id}`, { method: 'DELETE' });

    expect(answer.status).toBe(404);
    expect(ep.emulator.store.membershipCount(globex.id)).toBe(1);
  });
});

describe('GET /v2/accounts/{accountID}/account-memberships/unassigned-account-members', () => {
  const unassigned = (accountId: string, query = '') => `${membershipsOf(accountId)}/unassigned-account-members${query}`;

  it('lists the members that are not in the account', async () => {
    const answer = await ep.call(unassigned(acme.id));

    expect(answer.status).toBe(200);
    expect(answer.body.data.map((member: { id: string }) => member.id)).toEqual([tom.id, andy.id]);
    expect(answer.body.data[1]).toMatchObject({ type: 'account_member', name: andy.name, email: andy.email });
    expect(answer.body.meta.results.total).toBe(2);
  });

  it('stops listing a member once it joins the account', async () => {
    await ep.call(membershipsOf(acme.id), { method: 'POST', json: joinBody(andy.id) });

    const answer = await ep.call(unassigned(acme.id));

    expect(answer.body.data.map((member: { id: string }) => member.id)).toEqual([tom.id]);
  });

  it('filters on name and email with eq and like', async () => {
    const byName = await ep.call(unassigned(acme.id, '?filter=like(name,*dwyer)'));
    const byEmail = await ep.call(unassigned(acme.id, '?filter=eq(email,TOM@haverford.com)'));

    expect(byName.body.data.map((member: { id: string }) => member.id)).toEqual([andy.id]);
    expect(byEmail.body.data.map((member: { id: string }) => member.id)).toEqual([tom.id]);
  });

  it('answers 404 "account not found" for an unknown account', async () => {
    const answer = await ep.call(unassigned('1e2d3c4b-0000-4000-8000-000000000000'));

    expect(answer.status).toBe(404);
    expect(answer.body.errors[0].detail).toBe('account not found');
  });
});

describe('account members', () => {
  it('answers one member with its names, timestamps and self link', async () => {
    const answer = await ep.call(`/v2/account-members/${ron.id}`);

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      data: {
        id: ron.id,
        type: 'account_member',
        name: 'Ron Swanson',
        email: 'ron@swanson.com',
        given_name: 'Ron',
        family_name: 'Swanson',
        meta: { timestamps: { created_at: '2024-02-01T08:30:00.8810Z', updated_at: '2024-02-01T08:30:00.8810Z' } },
      },
      links: { self: `${ep.baseUrl}/v2/account-members/${ron.id}` },
    });
  });

  it('answers 404 "not found" for an unknown member', async () => {
    const answer = await ep.call('/v2/account-members/1e2d3c4b-0000-4000-8000-000000000000');

    expect(answer.status).toBe(404);
    expect(answer.body).toEqual(epError('404', 'Not Found', 'not found'));
  });

  it('lists all members, newest first, each with a self link', async () => {
    const answer = await ep.call('/v2/account-members');

    expect(answer.body.data.map((member: { id: string }) => member.id)).toEqual([tom.id, andy.id, april.id, leslie.id, ron.id]);
    expect(answer.body.data[0].links).toEqual({ self: `${ep.baseUrl}/v2/account-members/${tom.id}` });
  });

  it('lists the memberships of a member, each pointing at its account', async () => {
    const answer = await ep.call(`/v2/account-members/${ron.id}/account-memberships`);

    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual([
      {
        id: acmeEuropeRon.id,
        type: 'account_membership',
        meta: { timestamps: { created_at: '2024-03-04T10:00:00.000Z', updated_at: '2024-03-04T10:00:00.000Z' } },
        relationships: { account: { data: { id: acmeEurope.id, type: 'account' } } },
        links: { self: `${ep.baseUrl}/v2/accounts/${acmeEurope.id}/account-memberships/${acmeEuropeRon.id}` },
      },
      expect.objectContaining({ id: acmeRon.id, relationships: { account: { data: { id: acme.id, type: 'account' } } } }),
    ]);
    expect(answer.body).not.toHaveProperty('included');
  });

  it('adds the accounts under included.accounts with include=account', async () => {
    const answer = await ep.call(`/v2/account-members/${ron.id}/account-memberships?include=account`);

    expect(answer.body.included.accounts.map((account: { id: string }) => account.id)).toEqual([acmeEurope.id, acme.id]);
    expect(answer.body.included.accounts[1]).toMatchObject({ type: 'account', name: acme.name });
  });

  it('leaves included out for a member without memberships', async () => {
    const answer = await ep.call(`/v2/account-members/${andy.id}/account-memberships?include=account`);

    expect(answer.body.data).toEqual([]);
    expect(answer.body).not.toHaveProperty('included');
  });

  it('answers 404 "not found" for the memberships of an unknown member', async () => {
    const answer = await ep.call('/v2/account-members/1e2d3c4b-0000-4000-8000-000000000000/account-memberships');

    expect(answer.status).toBe(404);
    expect(answer.body.errors[0].detail).toBe('not found');
  });
});

describe('accounts', () => {
  it('answers one account, with its parent for a subaccount', async () => {
    const answer = await ep.call(`/v2/accounts/${acmeEurope.id}`);

    expect(answer.status).toBe(200);
    expect(answer.body.data).toMatchObject({
      id: acmeEurope.id,
      type: 'account',
      name: 'Acme Europe',
      parent_id: acme.id,
      meta: { timestamps: { created_at: '2024-01-11T09:00:00.000Z', updated_at: '2024-01-20T16:45:12.500Z' } },
      relationships: { parent: { data: { id: acme.id, type: 'account' } } },
    });
    expect(answer.body.links).toEqual({ self: `${ep.baseUrl}/v2/accounts/${acmeEurope.id}` });
  });

  it('answers 404 "account not found" for an unknown account', async () => {
    const answer = await ep.call('/v2/accounts/1e2d3c4b-0000-4000-8000-000000000000');

    expect(answer.status).toBe(404);
    expect(answer.body).toEqual(epError('404', 'Not Found', 'account not found'));
  });

  it('lists accounts, newest first, each with a self link', async () => {
    const answer = await ep.call('/v2/accounts');

    expect(answer.body.data.map((account: { id: string }) => account.id)).toEqual([globex.id, acmeEurope.id, acme.id]);
    expect(answer.body.data[2]).toMatchObject({
      legal_name: 'Acme Corporation Ltd',
      registration_id: 'ACME-0001',
      external_ref: 'crm-1001',
      links: { self: `${ep.baseUrl}/v2/accounts/${acme.id}` },
    });
  });

  it('filters accounts by a list of ids with in()', async () => {
    const answer = await ep.call(`/v2/accounts?filter=in(id,${acme.id},${globex.id})`);

    expect(answer.body.data.map((account: { id: string }) => account.id)).toEqual([globex.id, acme.id]);
  });

  it('filters accounts by name with like and by creation time with ge', async () => {
    const byName = await ep.call('/v2/accounts?filter=like(name,acme*)');
    const byTime = await ep.call('/v2/accounts?filter=ge(created_at,2024-01-11T09:00:00Z)');

    expect(byName.body.data.map((account: { id: string }) => account.id)).toEqual([acmeEurope.id, acme.id]);
    expect(byTime.body.data.map((account: { id: string }) => account.id)).toEqual([globex.id, acmeEurope.id]);
  });
});

describe('ids in any case', () => {
  const upper = (id: string) => id.toUpperCase();

  it('finds accounts, members and memberships by an uppercase id and answers with the lowercase one', async () => {
    const account = await ep.call(`/v2/accounts/${upper(acme.id)}`);
    const member = await ep.call(`/v2/account-members/${upper(ron.id)}`);
    const membership = await ep.call(`${membershipsOf(upper(acme.id))}/${upper(acmeRon.id)}`);
    const ofMember = await ep.call(`/v2/account-members/${upper(ron.id)}/account-memberships`);

    expect([account.status, member.status, membership.status, ofMember.status]).toEqual([200, 200, 200, 200]);
    expect(account.body.data.id).toBe(acme.id);
    expect(member.body.data.id).toBe(ron.id);
    expect(membership.body.data.id).toBe(acmeRon.id);
    expect(membership.body.links.self).toBe(`${ep.baseUrl}/v2/accounts/${acme.id}/account-memberships/${acmeRon.id}`);
    expect(ofMember.body.meta.results.total).toBeGreaterThan(0);
  });

  it('takes a member id in any case as the same member: one membership, then 409', async () => {
    const created = await ep.call(membershipsOf(upper(acme.id)), { method: 'POST', json: joinBody(upper(andy.id)) });
    const again = await ep.call(membershipsOf(acme.id), { method: 'POST', json: joinBody(andy.id) });

    expect(created.status).toBe(201);
    expect(created.body.data.relationships.account_member.data.id).toBe(andy.id);
    expect(created.body.links.self).toBe(`${ep.baseUrl}/v2/accounts/${acme.id}/account-memberships/${created.body.data.id}`);
    expect(again.status).toBe(409);
  });

  it('deletes a membership named by uppercase ids', async () => {
    const deleted = await ep.call(`${membershipsOf(upper(acme.id))}/${upper(acmeRon.id)}`, { method: 'DELETE' });
    const after = await ep.call(`${membershipsOf(acme.id)}/${acmeRon.id}`);

    expect(deleted.status).toBe(204);
    expect(after.status).toBe(404);
  });

  it('accepts an account token for an account named in uppercase', async () => {
    const implicit = ep.emulator.issueToken('implicit');
    const accountToken = ep.emulator.issueAccountManagementToken(acme.id);
    const answer = await ep.call(membershipsOf(upper(acme.id)), {
      token: implicit,
      headers: { 'EP-Account-Management-Authentication-Token': accountToken },
    });

    expect(answer.status).toBe(200);
  });
});
