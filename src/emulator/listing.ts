/** The steps every list route shares: filter, sort, cut a page, render it. */
import type { PageDto } from '../upstream/dto.js';
import type { RequestContext } from './context.js';
import { badRequest } from './errors.js';
import { compileFilter, type FilterFields } from './filter.js';
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

export function listPage<T, V>(
  context: RequestContext,
  items: Iterable<T>,
  spec: ListSpec<T>,
  view: (item: T) => V,
): ListedPage<T, V> {
  const { params, pathname } = context.target;
  const request = parsePageRequest(params, context.settings.defaultPageLength);
  const matches = compileFilter(params.get('filter'), spec.filters);
  const compare = parseSort(params.get('sort'), spec.sorts);
  const selected: T[] = [];
  for (const item of items) {
    if (matches === undefined || matches(item)) selected.push(item);
  }
  selected.sort(compare);
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
