/** Bodies as Elastic Path sends them, for tests that script their own upstream or check the emulator's answers. */
import { ACCOUNT_ID, MEMBER_ID, MEMBERSHIP_ID } from './ids.js';

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

/** Elastic Path's error body with one error. */
export function epError(status: number | string, title: string, detail?: string) {
  return { errors: [detail === undefined ? { status, title } : { status, title, detail }] };
}

/** A page of a list as Elastic Path sends it: `data`, then `meta` counting `total` records. */
export function pageBody(data: unknown[] = [], total = data.length) {
  return {
    data,
    meta: { page: { limit: 100, offset: 0, current: 1, total: Math.ceil(total / 100) }, results: { total } },
    links: { current: null, first: null, last: null, next: null, prev: null },
  };
}
