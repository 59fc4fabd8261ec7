/** Absolute resource URLs, as Elastic Path puts them in `links.self`. */

const segment = encodeURIComponent;

export const accountUrl = (origin: string, accountId: string): string => `${origin}/v2/accounts/${segment(accountId)}`;

export const accountMemberUrl = (origin: string, memberId: string): string => `${origin}/v2/account-members/${segment(memberId)}`;

export const membershipUrl = (origin: string, accountId: string, membershipId: string): string =>
  `${accountUrl(origin, accountId)}/account-memberships/${segment(membershipId)}`;

/** A list item: the resource with its own `links.self`. */
export function withSelfLink<T extends object>(dto: T, self: string): T & { links: { self: string } } {
  return { ...dto, links: { self } };
}
