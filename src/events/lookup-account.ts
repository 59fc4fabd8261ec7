/**
 * Finds the account of a membership the bus has never seen (a webhook delivery whose record has no
 * `links.self`), with the gateway's own token (EP_CLIENT_ID): the member's memberships name the
 * account of each. Bulk work in the quota, with its own deadline; a failure of any kind answers
 * "unknown", and the bus counts the event as unroutable.
 */
import { UpstreamStatusError } from '../domain/errors.js';
import { createAccountManagementApi } from '../upstream/account-management.js';
import type { UpstreamClient } from '../upstream/client.js';
import type { GatewayToken } from '../upstream/client-credentials.js';
import type { EventBusOptions } from './bus.js';

/** A member in more accounts than this is not searched further (each page is one call). */
const MAX_PAGES = 10;
const PAGE = 100;

export function createAccountLookup(
  upstream: UpstreamClient,
  token: GatewayToken,
  settings: { operationTimeoutMs: number },
): NonNullable<EventBusOptions['lookupAccount']> {
  // The same client as every call; a token Elastic Path no longer takes is fetched again next time.
  const client: UpstreamClient = {
    ...upstream,
    async send(caller, request) {
      try {
        return await upstream.send(caller, request);
      } catch (error) {
        if (error instanceof UpstreamStatusError && error.upstream.status === 401) token.forget();
        throw error;
      }
    },
  };
  return async (membershipId, accountMemberId) => {
    if (!accountMemberId) return undefined;
    const authorization = await token.authorization();
    const api = createAccountManagementApi(
      client,
      { authorization },
      {
        signal: AbortSignal.timeout(settings.operationTimeoutMs),
        meter: { calls: 0, retries: 0, bulk: true },
      },
    );
    for (let page = 0; page < MAX_PAGES; page++) {
      const memberships = await api.listMemberAccountMemberships(accountMemberId, {
        page: { limit: PAGE, offset: page * PAGE },
        includeAccounts: false,
      });
      const found = memberships.data.find((membership) => membership.id.toLowerCase() === membershipId);
      if (found) return found.relationships.account.data.id.toLowerCase();
      if (memberships.data.length < PAGE) return undefined;
    }
    return undefined;
  };
}
