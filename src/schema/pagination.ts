/**
 * Relay connections over Elastic Path's offset pages. Cursors are opaque to callers and map onto
 * `page[offset]`; `first` maps onto `page[limit]` and is checked here, so a bad value is a clear
 * BAD_USER_INPUT instead of an upstream 400.
 */
import { offsetToCursor } from '@pothos/plugin-relay';
import { cost, type Declared, type FieldCost } from '../cost/declare.js';
import { ErrorCode, gatewayError } from '../domain/errors.js';
import type { PageRequest } from '../upstream/account-management.js';
import type { PageDto } from '../upstream/dto.js';

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;
/** Elastic Path refuses `page[offset]` above this. */
export const MAX_OFFSET = 10_000;

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

/** The page size `first` asks for (the default when absent), or undefined when it is out of range. */
export function pageSizeOf(args: { first?: unknown }): number | undefined {
  const limit = args.first ?? DEFAULT_PAGE_SIZE;
  return typeof limit === 'number' && Number.isInteger(limit) && limit >= 1 && limit <= MAX_PAGE_SIZE ? limit : undefined;
}

/**
 * What a page field costs: one call for the page, and what its nodes select `first` times (a
 * `first` out of range is refused before the call). `declaration` says what the page's answer
 * carries of its nodes' relations, and whether its read may start beside its parent's.
 */
export const pageCost = (declaration: Pick<FieldCost, 'relations' | 'speculative'> = {}): Declared =>
  cost.of(
    {
      calls: 1,
      yields: 'records',
      size: { of: pageSizeOf, assumed: DEFAULT_PAGE_SIZE, slicingArgument: 'first', sizedFields: ['edges'] },
      ...declaration,
    },
    { objectType: true },
  );

export function pageRequest(args: { first?: number | null; after?: string | null }): PageRequest {
  const limit = args.first ?? DEFAULT_PAGE_SIZE;
  if (pageSizeOf(args) === undefined) {
    throw gatewayError(ErrorCode.BAD_USER_INPUT, `first must be from 1 to ${MAX_PAGE_SIZE}; got ${limit}.`);
  }
  let offset = 0;
  if (args.after != null) {
    const after = offsetOf(args.after);
    if (after === undefined) {
      throw gatewayError(ErrorCode.BAD_USER_INPUT, 'after is not a cursor this API gave out: use a pageInfo.endCursor or an edge cursor.');
    }
    offset = after + 1;
  }
  if (offset > MAX_OFFSET) {
    throw gatewayError(
      ErrorCode.BAD_USER_INPUT,
      `Elastic Path pages reach at most ${MAX_OFFSET} records deep; narrow the list with a filter.`,
    );
  }
  return { limit, offset };
}

/**
 * The offset a cursor names, only when it is exactly a cursor `offsetToCursor` gives out: Pothos'
 * `cursorToOffset` reads `OffsetConnection:5junk` (and `+5`, `05`, unpadded base64) as 5.
 */
function offsetOf(cursor: string): number | undefined {
  const digits = /^OffsetConnection:(0|[1-9]\d{0,8})$/.exec(Buffer.from(cursor, 'base64').toString('utf8'))?.[1];
  if (digits === undefined) return undefined;
  const offset = Number(digits);
  return offsetToCursor(offset) === cursor ? offset : undefined;
}

/** An edge whose cursor is encoded only when selected: a page of 100 seldom asks for 100 cursors. */
class Edge<N> {
  constructor(
    private readonly offset: number,
    readonly node: N,
  ) {}

  get cursor(): string {
    return offsetToCursor(this.offset);
  }
}

export function toConnection<T, N>(page: PageDto<T, unknown>, request: PageRequest, toNode: (item: T) => N): Connection<N> {
  const edges = page.data.map((item, index) => new Edge(request.offset + index, toNode(item)));
  const totalCount = page.meta.results.total;
  return {
    edges,
    pageInfo: {
      // The next page starts at the next offset; past MAX_OFFSET Elastic Path (and pageRequest) refuse it.
      hasNextPage: request.offset + page.data.length < totalCount && request.offset + page.data.length <= MAX_OFFSET,
      hasPreviousPage: request.offset > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}
