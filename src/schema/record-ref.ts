/**
 * Entities known by id, with their record when a response already carried it. Fields other than
 * `id` read the record, which comes from the ref or, once per request, from a per-request loader;
 * so selecting only `id` never costs an upstream call.
 */
import type DataLoader from 'dataloader';
import type { Context } from '../context.js';
import { orTopLevelError } from './resolve.js';

export interface RecordRef<T> {
  id: string;
  dto?: T;
}

type Resolver<T, R> = (ref: RecordRef<T>, args: unknown, context: Context) => Promise<R | null>;

/**
 * Builds a field resolver factory for one entity: `field((dto) => dto.name)` resolves to the value,
 * or null when the record does not have it.
 */
export function recordFields<T>(loader: (context: Context) => DataLoader<string, T>) {
  const record = (ref: RecordRef<T>, context: Context): Promise<T> =>
    ref.dto ? Promise.resolve(ref.dto) : orTopLevelError(() => loader(context).load(ref.id));
  return {
    record,
    field:
      <R>(read: (dto: T) => R | null | undefined): Resolver<T, R> =>
      async (ref, _args, context) =>
        read(await record(ref, context)) ?? null,
  };
}
