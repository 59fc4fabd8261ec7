/**
 * The per-request DataLoaders. They are created for each request by `createContext` and close
 * over that caller's API binding (and so its token): nothing here outlives the request, and no
 * cache entry is ever shared between callers.
 */
import DataLoader from 'dataloader';
import type { AccountManagementApi } from './upstream/account-management.js';
import type { AccountMemberDto } from './upstream/dto.js';

export interface Loaders {
  /** Account members by id; a failed lookup rejects only the keys it concerns. */
  accountMember: DataLoader<string, AccountMemberDto>;
}

export function createLoaders(api: AccountManagementApi): Loaders {
  return {
    accountMember: new DataLoader<string, AccountMemberDto>((ids) =>
      Promise.all(ids.map((id) => api.getAccountMember(id).catch((error: unknown) => toError(error)))),
    ),
  };
}

const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
