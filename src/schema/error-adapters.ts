/** Error adapters between loaders and fields that have no result union: not found as null, failures as coded top-level errors. */
import { NotFoundError, asTopLevel } from '../domain/errors.js';
import { requireUuid } from '../domain/ids.js';

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

/** For query arguments: a non-UUID id is BAD_USER_INPUT (naming the argument) before any call. */
export function uuidArgument(value: string, name: string): string {
  try {
    return requireUuid(value, name);
  } catch (error) {
    throw asTopLevel(error);
  }
}
