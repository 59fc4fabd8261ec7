/** The `sort` parameter: a field name, `-` in front for descending; newest first by default. */
import type { Comparator } from './collection.js';
import { badRequest } from './errors.js';
import type { StoredResource } from './store.js';

/** Ascending comparators by field name. */
export type SortFields<T> = Readonly<Record<string, Comparator<T>>>;

/** Insertion order breaks ties, so equal timestamps still page the same way every time. */
export const TIMESTAMP_AND_ID_SORTS: SortFields<StoredResource> = {
  created_at: (a, b) => a.createdMs - b.createdMs || a.seq - b.seq,
  updated_at: (a, b) => a.updatedMs - b.updatedMs || a.seq - b.seq,
  id: (a, b) => compareText(a.id, b.id),
};

export function byText<T extends StoredResource>(text: (item: T) => string): Comparator<T> {
  return (a, b) => compareText(text(a), text(b)) || a.seq - b.seq;
}

export function parseSort<T>(sort: string | undefined, fields: SortFields<T>): Comparator<T> {
  const wanted = sort === undefined || sort === '' ? '-created_at' : sort;
  const descending = wanted.startsWith('-');
  const field = descending ? wanted.slice(1) : wanted;
  const ascending = Object.hasOwn(fields, field) ? fields[field] : undefined;
  if (ascending === undefined) {
    throw badRequest(`unknown sort field '${field}'; use one of ${Object.keys(fields).join(', ')}, with '-' in front for descending`);
  }
  return descending ? descendingOf(ascending) : ascending;
}

/** One descending comparator per ascending one: collections cache sort orders by comparator. */
const descendingComparators = new WeakMap<Comparator<never>, Comparator<never>>();

function descendingOf<T>(ascending: Comparator<T>): Comparator<T> {
  let descending = descendingComparators.get(ascending) as Comparator<T> | undefined;
  if (descending === undefined) {
    descending = (a, b) => ascending(b, a);
    descendingComparators.set(ascending, descending);
  }
  return descending;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
