/**
 * Elastic Path's wire shapes, narrowed from the generated OpenAPI types (`./openapi.ts`, made by
 * `npm run upstream:types` from `spec/account-management.yaml`).
 *
 * The published spec marks every property optional; the live service always sends the ones made
 * required here (EP-BEHAVIOUR: ids, types, timestamps on memberships, the relationship object).
 * Where the service differs from the spec, the difference is stated next to the type.
 */
import type { components } from './openapi.js';

type Schemas = components['schemas'];

export interface Timestamps {
  created_at: string;
  updated_at: string;
}

/** The spec's `AccountMemberResponse`; `meta` is optional because some service versions omit it. */
export type AccountMemberDto = Schemas['AccountMemberResponse'] & {
  id: string;
  type: 'account_member';
  name: string;
  email: string;
  meta?: { timestamps?: Partial<Timestamps> };
};

export type AccountDto = Schemas['AccountResponse'] & {
  id: string;
  type: 'account';
  name: string;
};

interface Identifier<T extends string> {
  id: string;
  type: T;
}

/** A membership as seen from its account (`/v2/accounts/{id}/account-memberships…`). */
export type AccountMembershipDto = Omit<Schemas['AccountMembershipResponse'], 'relationships'> & {
  id: string;
  type: 'account_membership';
  meta: { timestamps: Timestamps };
  relationships: { account_member: { data: Identifier<'account_member'> } };
};

/** A membership as seen from its member (`/v2/account-members/{id}/account-memberships`). */
export type MemberAccountMembershipDto = Omit<Schemas['AccountMembershipResponseUsingAccountMemberId'], 'relationships'> & {
  id: string;
  type: 'account_membership';
  meta: { timestamps: Timestamps };
  relationships: { account: { data: Identifier<'account'> } };
};

export interface SingleDto<T> {
  data: T;
  links?: { self?: string };
}

/** `links` entries are `null` or the string `"null"` when a page does not exist (both mean none). */
export interface PageDto<T, Included = never> {
  data: T[];
  meta: {
    page: { limit: number; offset: number; current: number; total: number };
    results: { total: number };
  };
  links: Record<'current' | 'first' | 'last' | 'next' | 'prev', string | null>;
  /** Elastic Path's include shape: an object keyed by the plural type, not a JSON:API array. */
  included?: Included;
}

export interface IncludedAccountMembers {
  account_members?: AccountMemberDto[];
}

export interface IncludedAccounts {
  accounts?: AccountDto[];
}

export interface ErrorItemDto {
  /** A string from the service and a number from the API gateway in front of it. */
  status?: string | number;
  title?: string;
  detail?: string;
}

export type ErrorBodyDto = Omit<Schemas['ErrorResponse'], 'errors'> & { errors: ErrorItemDto[] };

export interface CreateAccountMembershipBody {
  data: Required<Schemas['AccountMembership']>;
}

export interface TokenResponseDto {
  expires: number;
  identifier: 'client_credentials' | 'implicit';
  expires_in: number;
  access_token: string;
  token_type: 'Bearer';
}
