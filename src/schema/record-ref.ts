/**
 * Entities known by id, with their record when a response already carried it. Fields other than
 * `id` read the record, which comes from the ref or, once per request, from a per-request loader;
 * so selecting only `id` never costs an upstream call.
 */
import type DataLoader from 'dataloader';
import type { Context } from './context.js';
import { nullIfNotFound, orTopLevelError } from './error-adapters.js';

export interface RecordRef<T> {
  id: string;
  dto?: T;
}

type Resolver<T, R> = (ref: RecordRef<T>, args: unknown, context: Context) => R | null | Promise<R | null>;

/**
 * The record access for one entity: `field((dto) => dto.name)` makes a resolver for one value
 * (null when the record does not have it), `find(id, context)` looks the entity up by id.
 */
export function recordFields<T>(loader: (context: Context) => DataLoader<string, T>) {
  const record = (ref: RecordRef<T>, context: Context): Promise<T> =>
    ref.dto ? Promise.resolve(ref.dto) : orTopLevelError(() => loader(context).load(ref.id));
  return {
    record,
    /** The entity with its record, or null when Elastic Path has none with that id. */
    find: (id: string, context: Context): Promise<RecordRef<T> | null> =>
      nullIfNotFound(async () => ({ id, dto: await loader(context).load(id) })),
    field:
      <R>(read: (dto: T) => R | null | undefined): Resolver<T, R> =>
      (ref, _args, context) =>
        // A record already at hand is read at once: a page of 100 members with names is 200 such
        // reads, and a promise each cost more than the rest of their execution.
        ref.dto ? (read(ref.dto) ?? null) : record(ref, context).then((dto) => read(dto) ?? null),
  };
}
