import { ValidationError } from './errors.js';

/** Elastic Path ids are UUIDs; anything else is refused before it can reach a URL. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Throws a `ValidationError` naming the argument unless `value` is a UUID. */
export function requireUuid(value: string, field: string): string {
  if (!isUuid(value)) {
    const shown = value.length > 60 ? `${value.slice(0, 60)}…` : value;
    throw new ValidationError(
      `${field} must be an Elastic Path id (a UUID such as 9e227208-b592-49c0-8c8f-043b66c634b0); got ${JSON.stringify(shown)}.`,
      field,
    );
  }
  return value;
}
