import { ValidationError } from './errors.js';

/** An Elastic Path id as Elastic Path writes it: a UUID in lowercase. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Elastic Path reads ids in any case. */
const ANY_CASE_UUID = new RegExp(UUID.source, 'i');

/** Elastic Path ids are UUIDs; anything else is refused before it can reach a URL. */
export function isUuid(value: string): boolean {
  return ANY_CASE_UUID.test(value);
}

/**
 * `value` in lowercase, the one form Elastic Path answers with, so that ids differing only in case
 * are one loader key and one lookup; throws a `ValidationError` naming the argument unless it is a UUID.
 */
export function requireUuid(value: string, field: string): string {
  if (!isUuid(value)) {
    const shown = value.length > 60 ? `${value.slice(0, 60)}…` : value;
    throw new ValidationError(
      `${field} must be an Elastic Path id (a UUID such as 9e227208-b592-49c0-8c8f-043b66c634b0); got ${JSON.stringify(shown)}.`,
      field,
    );
  }
  return value.toLowerCase();
}

/** The most ids one list argument takes (`ensureAccountMemberships(accountMemberIds:)`). */
export const MAX_ID_LIST = 100;

/**
 * `values` in lowercase, as `requireUuid` gives each; throws a `ValidationError` naming `field`
 * unless they are 1 to MAX_ID_LIST UUIDs, none of them twice (ids differing only in case are one id).
 */
export function requireIdList(values: readonly string[], field: string): string[] {
  if (values.length === 0 || values.length > MAX_ID_LIST) {
    throw new ValidationError(`${field} must list 1 to ${MAX_ID_LIST} ids; got ${values.length}.`, field);
  }
  const ids = new Set<string>();
  for (const [index, value] of values.entries()) {
    let id: string;
    try {
      id = requireUuid(value, `${field}[${index}]`);
    } catch (error) {
      throw new ValidationError((error as Error).message, field);
    }
    if (ids.has(id)) throw new ValidationError(`${field} lists ${value} more than once; list each id once.`, field);
    ids.add(id);
  }
  return [...ids];
}
