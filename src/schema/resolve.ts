/** Small adapters between loaders and fields that have no result union. */
import { NotFoundError, asTopLevel, ErrorCode, gatewayError } from '../errors.js';
import { isUuid } from '../ids.js';

/** A missing single resource is `null`; other failures become coded top-level errors. */
export async function nullIfNotFound<T>(load: () => Promise<T>): Promise<T | null> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw asTopLevel(error);
  }
}

/** Expected failures (a missing account under a list, a refused filter) become coded top-level errors. */
export async function orTopLevelError<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw asTopLevel(error);
  }
}

/** For query arguments: a non-UUID id is BAD_USER_INPUT before anything reaches Elastic Path. */
export function uuidArgument(value: string, name: string): string {
  if (!isUuid(value)) {
    throw gatewayError(
      ErrorCode.BAD_USER_INPUT,
      `${name} must be an Elastic Path id (a UUID); got ${JSON.stringify(value.slice(0, 60))}.`,
    );
  }
  return value;
}
