/** Fixed ids and tokens for tests that script their own upstream. */
export const ACCOUNT_ID = '5b495058-9ffc-4b9b-810a-c9d43ffc6500';
export const MEMBER_ID = '486fa6f1-d85a-44a0-abdf-ff0076fffd6c';
export const MEMBERSHIP_ID = '9e227208-b592-49c0-8c8f-043b66c634b0';
export const TOKEN = 'Bearer 212LJ3k0i2382364HIUEjfeJB98yvH9';

export function membershipBody(memberId = MEMBER_ID, accountId = ACCOUNT_ID) {
  return {
    data: {
      id: MEMBERSHIP_ID,
      type: 'account_membership',
      meta: { timestamps: { created_at: '2022-10-10T14:34:00.8810Z', updated_at: '2021-03-10T07:35:38.883Z' } },
      relationships: { account_member: { data: { id: memberId, type: 'account_member' } } },
    },
    links: { self: `https://useast.api.elasticpath.com/v2/accounts/${accountId}/account-memberships/${MEMBERSHIP_ID}` },
  };
}

export function memberBody(id = MEMBER_ID, name = 'Ron Swanson') {
  return { data: { id, type: 'account_member', name, email: 'ron@swanson.com' } };
}

export function epError(status: number | string, title: string, detail?: string) {
  return { errors: [{ status, title, ...(detail ? { detail } : {}) }] };
}

/** A page of a list as Elastic Path sends it: `data`, then `meta` counting `total` records. */
export function pageBody(data: unknown[] = [], total = data.length) {
  return {
    data,
    meta: { page: { limit: 100, offset: 0, current: 1, total: Math.ceil(total / 100) }, results: { total } },
    links: { current: null, first: null, last: null, next: null, prev: null },
  };
}
