/** `page[limit]` / `page[offset]`, and the `meta` and `links` of a page (EP-BEHAVIOUR "Query parameters"). */
import type { PageDto } from '../upstream/dto.js';
import { badRequest, validationFailed } from './errors.js';

const MAX_PAGE_LIMIT = 100;
const MAX_PAGE_OFFSET = 10_000;
const LIMIT = 'page[limit]';
const OFFSET = 'page[offset]';

export interface PageRequest {
  readonly limit: number;
  readonly offset: number;
}

export function parsePageRequest(params: ReadonlyMap<string, string>, defaultLimit: number): PageRequest {
  const rawLimit = params.get(LIMIT);
  const rawOffset = params.get(OFFSET);
  const limit = rawLimit === undefined ? defaultLimit : wholeNumber(rawLimit);
  if (limit === undefined || limit === 0) throw validationFailed('Limit', 'positive-pagination-limit', 400);
  if (limit > MAX_PAGE_LIMIT) throw badRequest('page limit has been exceeded enforced limitation');
  const offset = rawOffset === undefined ? 0 : wholeNumber(rawOffset);
  if (offset === undefined) throw validationFailed('Offset', 'min', 400);
  if (offset > MAX_PAGE_OFFSET) throw badRequest('page offset has been exceeded enforced limitation');
  return { limit, offset };
}

function wholeNumber(text: string): number | undefined {
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** Builds page links: the request's own URL with other parameters kept and the page ones replaced. */
export type PageLinker = (offset: number, limit: number) => string;

export function pageLinker(origin: string, pathname: string, params: ReadonlyMap<string, string>): PageLinker {
  let kept = '';
  for (const [name, value] of params) {
    if (name !== LIMIT && name !== OFFSET) kept += `&${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  }
  const base = `${origin}${pathname}?${OFFSET}=`;
  return (offset, limit) => `${base}${offset}&${LIMIT}=${limit}${kept}`;
}

/** One page of `items` (already filtered and sorted), with Elastic Path's meta and links. */
export function pageOf<T>(items: readonly T[], page: PageRequest, link: PageLinker): PageDto<T> {
  const { limit, offset } = page;
  const total = items.length;
  const pages = Math.ceil(total / limit);
  return {
    data: items.slice(offset, offset + limit),
    meta: {
      page: { limit, offset, current: Math.floor(offset / limit) + 1, total: pages },
      results: { total },
    },
    links: {
      current: link(offset, limit),
      first: link(0, limit),
      last: pages > 0 ? link((pages - 1) * limit, limit) : null,
      next: offset + limit < total ? link(offset + limit, limit) : null,
      prev: offset > 0 ? link(Math.max(0, offset - limit), limit) : null,
    },
  };
}
