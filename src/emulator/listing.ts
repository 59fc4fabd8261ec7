/** The steps every list route shares: filter, sort, cut a page, render it. */
import type { PageDto } from '../upstream/dto.js';
import type { ReadonlyCollection } from './collection.js';
import type { RequestContext } from './context.js';
import { badRequest } from './errors.js';
import { compileFilter, type FilterFields, type Predicate } from './filter.js';
import { pageLinker, pageOf, parsePageRequest } from './pagination.js';
import { parseSort, type SortFields } from './sort.js';

export interface ListSpec<T> {
  readonly filters: FilterFields<T>;
  readonly sorts: SortFields<T>;
}

export interface ListedPage<T, V> {
  /** The stored records on this page, for building `included`. */
  readonly records: readonly T[];
  readonly page: PageDto<V>;
}

/**
 * One page of `collection`, filtered by the request's `filter` and by `keep` when given (the
 * route's own condition), in the request's `sort` order.
 */
export function listPage<T, V>(
  context: RequestContext,
  collection: ReadonlyCollection<T>,
  spec: ListSpec<T>,
  view: (item: T) => V,
  keep?: Predicate<T>,
): ListedPage<T, V> {
  const { params, pathname } = context.target;
  const request = parsePageRequest(params, context.settings.defaultPageLength);
  const filter = compileFilter(params.get('filter'), spec.filters);
  const ordered = collection.sorted(parseSort(params.get('sort'), spec.sorts));
  const conditions = [keep, filter].filter((condition) => condition !== undefined);
  const selected = conditions.length === 0 ? ordered : ordered.filter((item) => conditions.every((matches) => matches(item)));
  const page = pageOf(selected, request, pageLinker(context.origin, pathname, params));
  return { records: page.data, page: { ...page, data: page.data.map(view) } };
}

/**
 * Whether `include` asks for `relation`, the one relation the route can include. Anything else
 * answers 400 so that a misspelt include (Elastic Path's is singular on the wire) shows up.
 */
export function includes(context: RequestContext, relation: string): boolean {
  const include = context.target.params.get('include');
  if (include === undefined || include === '') return false;
  for (const wanted of include.split(',')) {
    if (wanted !== relation) throw badRequest(`unsupported include '${wanted}'; this endpoint can include '${relation}'`);
  }
  return true;
}

/** Each distinct value once, in first-seen order. */
export function distinct<T>(values: Iterable<T | undefined>): T[] {
  const seen = new Set<T>();
  for (const value of values) if (value !== undefined) seen.add(value);
  return [...seen];
}
