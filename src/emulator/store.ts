/**
 * The emulator's data: accounts, account members and the memberships between them, held in
 * memory with the indexes every route needs (memberships by account and by member, so a
 * duplicate, the limit and "unassigned" are each answered without a scan of all memberships).
 */
import { randomUUID } from 'node:crypto';
import type { AccountDto, AccountMemberDto, AccountMembershipDto, MemberAccountMembershipDto, Timestamps } from '../upstream/dto.js';
import { Collection, type ReadonlyCollection } from './collection.js';
import { accountMemberNotFound, accountNotFound, membershipExists, membershipLimitExceeded } from './errors.js';

interface NewResource {
  /** @default a random UUID */
  id?: string;
  /** ISO-8601. @default now */
  created_at?: string;
  /** ISO-8601. @default `created_at` */
  updated_at?: string;
}

export interface NewAccount extends NewResource {
  name: string;
  /** @default `name` */
  legal_name?: string | null;
  registration_id?: string | null;
  external_ref?: string | null;
  /** An account already in the store. */
  parent_id?: string | null;
}

export interface NewAccountMember extends NewResource {
  name: string;
  email: string;
  given_name?: string | null;
  middle_name?: string | null;
  family_name?: string | null;
}

export type NewAccountMembership = NewResource;

/** What the store keeps beside each resource so every list sorts the same way every time. */
export interface StoredResource {
  readonly id: string;
  /** Insertion order: breaks ties between equal timestamps. */
  readonly seq: number;
  readonly createdMs: number;
  readonly updatedMs: number;
}

export interface StoredAccount extends StoredResource {
  readonly dto: AccountDto;
}

export interface StoredAccountMember extends StoredResource {
  readonly dto: AccountMemberDto;
}

export interface StoredMembership extends StoredResource {
  readonly accountId: string;
  readonly memberId: string;
  /** As listed under its account. */
  readonly dto: AccountMembershipDto;
  /** As listed under its member. */
  readonly memberDto: MemberAccountMembershipDto;
}

export interface EmulatorStoreOptions {
  /**
   * Memberships one account may hold; one more answers 400.
   * @default 1000
   */
  membershipLimit?: number;
}

export class EmulatorStore {
  readonly membershipLimit: number;
  private readonly accountsById = new Collection<StoredAccount>(byId);
  private readonly membersById = new Collection<StoredAccountMember>(byId);
  private readonly memberships = new Map<string, StoredMembership>();
  /** account id → its memberships, keyed by member id */
  private readonly membershipsByAccount = new Map<string, Collection<StoredMembership>>();
  /** member id → its memberships, keyed by account id */
  private readonly membershipsByMember = new Map<string, Collection<StoredMembership>>();
  private seq = 0;

  constructor(options: EmulatorStoreOptions = {}) {
    this.membershipLimit = options.membershipLimit ?? 1000;
  }

  addAccount(input: NewAccount): AccountDto {
    const base = this.newResource(input, this.accountsById);
    const parent = input.parent_id == null ? undefined : this.getAccount(input.parent_id);
    if (input.parent_id != null && parent === undefined) {
      throw new Error(`Parent account ${input.parent_id} is not in the store`);
    }
    const parentRef = parent && { data: { type: 'account' as const, id: parent.id } };
    const dto: AccountDto = {
      id: base.id,
      type: 'account',
      name: input.name,
      legal_name: input.legal_name === undefined ? input.name : input.legal_name,
      ...(input.registration_id != null && { registration_id: input.registration_id }),
      ...(input.external_ref != null && { external_ref: input.external_ref }),
      ...(parent && { parent_id: parent.id }),
      meta: { timestamps: base.timestamps },
      ...(parentRef && {
        relationships: {
          parent: parentRef,
          ancestors: [...(parent.dto.relationships?.ancestors ?? []), parentRef],
        },
      }),
    };
    this.accountsById.add({ ...base.record, dto: deepFreeze(dto) });
    this.membershipsByAccount.set(base.id, new Collection((membership) => membership.memberId));
    return dto;
  }

  addMember(input: NewAccountMember): AccountMemberDto {
    const base = this.newResource(input, this.membersById);
    const dto: AccountMemberDto = {
      id: base.id,
      type: 'account_member',
      name: input.name,
      email: input.email,
      ...(input.given_name !== undefined && { given_name: input.given_name }),
      ...(input.middle_name !== undefined && { middle_name: input.middle_name }),
      ...(input.family_name !== undefined && { family_name: input.family_name }),
      meta: { timestamps: base.timestamps },
    };
    this.membersById.add({ ...base.record, dto: deepFreeze(dto) });
    this.membershipsByMember.set(base.id, new Collection((membership) => membership.accountId));
    return dto;
  }

  /**
   * Adds `memberId` to `accountId` with Elastic Path's checks, in its order: unknown account
   * (404), unknown member (404), already a member (409), account full (400). Throws the
   * matching `EpError`.
   */
  addMembership(anyCaseAccountId: string, anyCaseMemberId: string, input: NewAccountMembership = {}): AccountMembershipDto {
    const accountId = idKey(anyCaseAccountId);
    const memberId = idKey(anyCaseMemberId);
    const ofAccount = this.membershipsByAccount.get(accountId);
    if (ofAccount === undefined) throw accountNotFound();
    const ofMember = this.membershipsByMember.get(memberId);
    if (ofMember === undefined) throw accountMemberNotFound();
    if (ofAccount.has(memberId)) throw membershipExists();
    if (ofAccount.size >= this.membershipLimit) throw membershipLimitExceeded();

    const base = this.newResource(input, this.memberships);
    const meta = { timestamps: base.timestamps };
    const membership: StoredMembership = {
      ...base.record,
      accountId,
      memberId,
      dto: deepFreeze({
        id: base.id,
        type: 'account_membership',
        meta,
        relationships: { account_member: { data: { id: memberId, type: 'account_member' } } },
      }),
      memberDto: deepFreeze({
        id: base.id,
        type: 'account_membership',
        meta,
        relationships: { account: { data: { id: accountId, type: 'account' } } },
      }),
    };
    this.memberships.set(base.id, membership);
    ofAccount.add(membership);
    ofMember.add(membership);
    return membership.dto;
  }

  /** Removes a membership of `accountId`; false when that account has no such membership. */
  removeMembership(accountId: string, membershipId: string): boolean {
    const membership = this.getMembership(accountId, membershipId);
    if (membership === undefined) return false;
    this.memberships.delete(membership.id);
    this.membershipsByAccount.get(membership.accountId)?.delete(membership.memberId);
    this.membershipsByMember.get(membership.memberId)?.delete(membership.accountId);
    return true;
  }

  get accounts(): ReadonlyCollection<StoredAccount> {
    return this.accountsById;
  }

  get members(): ReadonlyCollection<StoredAccountMember> {
    return this.membersById;
  }

  getAccount(id: string): StoredAccount | undefined {
    return this.accountsById.get(idKey(id));
  }

  getMember(id: string): StoredAccountMember | undefined {
    return this.membersById.get(idKey(id));
  }

  /** The membership `membershipId` if it belongs to `accountId`. */
  getMembership(accountId: string, membershipId: string): StoredMembership | undefined {
    const membership = this.memberships.get(idKey(membershipId));
    return membership?.accountId === idKey(accountId) ? membership : undefined;
  }

  /** Keyed by member id; undefined when the account is unknown. */
  membershipsOfAccount(accountId: string): ReadonlyCollection<StoredMembership> | undefined {
    return this.membershipsByAccount.get(idKey(accountId));
  }

  /** Keyed by account id; undefined when the member is unknown. */
  membershipsOfMember(memberId: string): ReadonlyCollection<StoredMembership> | undefined {
    return this.membershipsByMember.get(idKey(memberId));
  }

  membershipCount(accountId: string): number {
    return this.membershipsByAccount.get(idKey(accountId))?.size ?? 0;
  }

  /** Empties the store (the demo data too). */
  clear(): void {
    for (const collection of [this.accountsById, this.membersById, this.memberships, this.membershipsByAccount, this.membershipsByMember]) {
      collection.clear();
    }
  }

  private newResource(input: NewResource, existing: { has(id: string): boolean }) {
    const id = idKey(input.id ?? randomUUID());
    if (existing.has(id)) throw new Error(`Id ${id} is already in the store`);
    const createdAt = input.created_at ?? new Date().toISOString();
    const updatedAt = input.updated_at ?? createdAt;
    const createdMs = instant(createdAt);
    const updatedMs = instant(updatedAt);
    const timestamps: Timestamps = { created_at: createdAt, updated_at: updatedAt };
    return { id, timestamps, record: { id, seq: this.seq++, createdMs, updatedMs } };
  }
}

const byId = (resource: StoredResource): string => resource.id;

/**
 * Elastic Path reads ids case-insensitively (`0A…` finds `0a…`) and answers with its own
 * lowercase form, so the store keeps ids lowercase and lowers every id it is asked for.
 */
const idKey = (id: string): string => id.toLowerCase();

function instant(text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`${JSON.stringify(text)} is not an ISO-8601 timestamp`);
  return ms;
}

/** Frozen so that no caller (a test holding a returned DTO) can change what later responses say. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
