/**
 * The gateway's own writes, announced on the event bus as soon as Elastic Path has accepted them
 * (source GATEWAY): a create, an ensure that created, a delete. One wrapper around the caller's
 * API binding, so the resolvers need not know about events. Publishing is not awaited: the
 * mutation's answer never waits on subscribers.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../observability/logger.js';
import type { AccountManagementApi } from '../upstream/account-management.js';
import type { AccountMembershipDto } from '../upstream/dto.js';
import type { EventBus, ObservedChange } from './bus.js';

export function announceWrites(api: AccountManagementApi, bus: EventBus, logger: Logger): AccountManagementApi {
  const publish = (change: ObservedChange) => {
    bus.publish(change).catch((error: unknown) => logger.error({ err: error }, 'membership event not published'));
  };
  const created = (accountId: string, record: AccountMembershipDto) =>
    publish({
      type: 'CREATED',
      id: randomUUID(),
      membershipId: record.id.toLowerCase(),
      accountId,
      accountMemberId: record.relationships.account_member.data.id.toLowerCase(),
      record,
      occurredAt: record.meta.timestamps.created_at,
      source: 'GATEWAY',
    });
  return {
    ...api,
    async createAccountMembership(accountId, accountMemberId, options) {
      const answer = await api.createAccountMembership(accountId, accountMemberId, options);
      created(accountId, answer.data);
      return answer;
    },
    async ensureAccountMembership(accountId, accountMemberId, options) {
      const answer = await api.ensureAccountMembership(accountId, accountMemberId, options);
      // Only a membership this call made is news; an existing or uncertain one is Elastic Path's to announce.
      if (answer.outcome === 'CREATED') created(accountId, answer.data);
      return answer;
    },
    async deleteAccountMembership(accountId, id) {
      await api.deleteAccountMembership(accountId, id);
      publish({
        type: 'DELETED',
        id: randomUUID(),
        membershipId: id,
        accountId,
        accountMemberId: null,
        record: null,
        occurredAt: new Date().toISOString(),
        source: 'GATEWAY',
      });
    },
  };
}
