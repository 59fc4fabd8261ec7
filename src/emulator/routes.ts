/** Which handler answers which method and path, and who may call it. */
import type { Access } from './auth.js';
import type { Handler } from './context.js';
import { getAccountMember, listAccountMembers, listMemberAccountMemberships } from './handlers/account-members.js';
import {
  createAccountMembership,
  deleteAccountMembership,
  getAccountMembership,
  listAccountMemberships,
  listUnassignedAccountMembers,
} from './handlers/account-memberships.js';
import { getAccount, listAccounts } from './handlers/accounts.js';
import { createIntegration, deleteIntegration, getIntegration, listIntegrations } from './handlers/integrations.js';
import { createAccessToken } from './handlers/oauth.js';

export interface Operation {
  readonly access: Access;
  readonly handle: Handler;
}

interface Route {
  /** Literal segments, or `:name` for a path parameter. */
  readonly segments: readonly string[];
  readonly operations: Readonly<Partial<Record<string, Operation>>>;
  readonly methods: readonly string[];
}

const client = (handle: Handler): Operation => ({ access: 'client', handle });
const accountReader = (handle: Handler): Operation => ({ access: 'account-reader', handle });

function route(path: string, operations: Partial<Record<string, Operation>>): Route {
  return { segments: path.split('/').slice(1), operations, methods: Object.keys(operations) };
}

/** First match wins: literal paths come before the parameter that would also match them. */
const ROUTES: readonly Route[] = [
  route('/oauth/access_token', { POST: { access: 'public', handle: createAccessToken } }),
  route('/v2/accounts', { GET: client(listAccounts) }),
  route('/v2/accounts/:accountId', { GET: client(getAccount) }),
  route('/v2/accounts/:accountId/account-memberships', {
    GET: accountReader(listAccountMemberships),
    POST: client(createAccountMembership),
  }),
  route('/v2/accounts/:accountId/account-memberships/unassigned-account-members', {
    GET: client(listUnassignedAccountMembers),
  }),
  route('/v2/accounts/:accountId/account-memberships/:membershipId', {
    GET: accountReader(getAccountMembership),
    DELETE: client(deleteAccountMembership),
  }),
  route('/v2/integrations', { GET: client(listIntegrations), POST: client(createIntegration) }),
  route('/v2/integrations/:integrationId', { GET: client(getIntegration), DELETE: client(deleteIntegration) }),
  route('/v2/account-members', { GET: client(listAccountMembers) }),
  route('/v2/account-members/:accountMemberId', { GET: client(getAccountMember) }),
  route('/v2/account-members/:accountMemberId/account-memberships', {
    GET: client(listMemberAccountMemberships),
  }),
];

export interface RouteMatch {
  readonly params: Readonly<Record<string, string>>;
  /** Undefined when the path exists but not for this method (405). */
  readonly operation: Operation | undefined;
  readonly allowedMethods: readonly string[];
}

export function matchRoute(method: string, segments: readonly string[]): RouteMatch | undefined {
  for (const candidate of ROUTES) {
    const params = matchSegments(candidate.segments, segments);
    if (params !== undefined) {
      return { params, operation: candidate.operations[method], allowedMethods: candidate.methods };
    }
  }
  return undefined;
}

function matchSegments(pattern: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let index = 0; index < pattern.length; index++) {
    const expected = pattern[index] as string;
    const actual = segments[index] as string;
    if (expected.startsWith(':')) {
      if (actual === '') return undefined;
      // Every parameter is an id, and Elastic Path reads ids in any case: handlers, links and
      // the account-token check all see the one lowercase form the store keeps.
      params[expected.slice(1)] = actual.toLowerCase();
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params;
}
