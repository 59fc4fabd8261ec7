/**
 * Runtime checks that an upstream answer has the shape `dto.ts` promises. Upstream bodies are
 * untrusted: a body that fails these checks becomes UPSTREAM_ERROR instead of a resolver crash
 * deep inside the response.
 */
import type {
  AccountDto,
  AccountMemberDto,
  AccountMembershipDto,
  MemberAccountMembershipDto,
  PageDto,
  SingleDto,
  Timestamps,
} from './dto.js';
import { isObject } from './json.js';

type Guard<T> = (value: unknown) => value is T;

const isString = (value: unknown): value is string => typeof value === 'string';
const isOptionalString = (value: unknown): boolean => value === undefined || value === null || isString(value);
const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;
const isInstant = (value: unknown): value is string => isString(value) && !Number.isNaN(Date.parse(value));

function hasIdentity(value: unknown, type: string): value is Record<string, unknown> & { id: string } {
  return isObject(value) && isString(value.id) && value.id !== '' && value.type === type;
}

function isTimestamps(value: unknown): value is { timestamps: Timestamps } {
  return isObject(value) && isObject(value.timestamps) && isInstant(value.timestamps.created_at) && isInstant(value.timestamps.updated_at);
}

function related(value: Record<string, unknown>, name: string, type: string): boolean {
  return (
    isObject(value.relationships) &&
    isObject(value.relationships[name]) &&
    hasIdentity((value.relationships[name] as Record<string, unknown>).data, type)
  );
}

export function isAccountMember(value: unknown): value is AccountMemberDto {
  return (
    hasIdentity(value, 'account_member') &&
    isOptionalString(value.name) &&
    isOptionalString(value.email) &&
    (value.meta === undefined || isObject(value.meta))
  );
}

export function isAccount(value: unknown): value is AccountDto {
  return (
    hasIdentity(value, 'account') &&
    isOptionalString(value.name) &&
    isOptionalString(value.legal_name) &&
    isOptionalString(value.registration_id) &&
    isOptionalString(value.external_ref) &&
    isOptionalString(value.parent_id)
  );
}

export function isAccountMembership(value: unknown): value is AccountMembershipDto {
  return hasIdentity(value, 'account_membership') && isTimestamps(value.meta) && related(value, 'account_member', 'account_member');
}

export function isMemberAccountMembership(value: unknown): value is MemberAccountMembershipDto {
  return hasIdentity(value, 'account_membership') && isTimestamps(value.meta) && related(value, 'account', 'account');
}

export function isSingle<T>(value: unknown, isData: Guard<T>): value is SingleDto<T> {
  return isObject(value) && isData(value.data);
}

export function isPage<T>(value: unknown, isItem: Guard<T>): value is PageDto<T, unknown> {
  if (!isObject(value) || !Array.isArray(value.data) || !value.data.every(isItem)) return false;
  const meta = value.meta;
  return (
    isObject(meta) && isObject(meta.results) && isCount(meta.results.total) && (value.included === undefined || isObject(value.included))
  );
}
