/** The pure paging rules: `first` and `after` onto Elastic Path's offsets, and a page onto a connection. */
import { offsetToCursor } from '@pothos/plugin-relay';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PAGE_SIZE, MAX_OFFSET, pageRequest, toConnection } from '../../src/schema/pagination.js';
import type { PageDto } from '../../src/upstream/dto.js';

const pageOf = (count: number, total: number): PageDto<{ id: string }> => ({
  data: Array.from({ length: count }, (_, index) => ({ id: String(index) })),
  meta: { page: { limit: count, offset: 0, current: 1, total: 1 }, results: { total } },
  links: { current: null, first: null, last: null, next: null, prev: null },
});

const refusal = (run: () => unknown): { code: unknown; message: string } | undefined => {
  try {
    run();
  } catch (error) {
    return { code: (error as { extensions?: { code?: unknown } }).extensions?.code, message: (error as Error).message };
  }
  return undefined;
};

describe('pageRequest', () => {
  it("asks for Elastic Path's default page of 25 from the start when first and after are absent", () => {
    expect(DEFAULT_PAGE_SIZE).toBe(25);
    expect(pageRequest({})).toEqual({ limit: 25, offset: 0 });
    expect(pageRequest({ first: null, after: null })).toEqual({ limit: 25, offset: 0 });
  });

  it('continues one past the cursor it is given', () => {
    expect(pageRequest({ first: 10, after: offsetToCursor(9) })).toEqual({ limit: 10, offset: 10 });
  });

  it('reaches the deepest page Elastic Path serves and refuses one past it with BAD_USER_INPUT', () => {
    expect(MAX_OFFSET).toBe(10_000);
    expect(pageRequest({ first: 100, after: offsetToCursor(MAX_OFFSET - 1) })).toEqual({ limit: 100, offset: MAX_OFFSET });
    expect(refusal(() => pageRequest({ first: 100, after: offsetToCursor(MAX_OFFSET) }))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'Elastic Path pages reach at most 10000 records deep; narrow the list with a filter.',
    });
  });

  it.each([
    ['trailing junk after the offset', Buffer.from('OffsetConnection:5junk').toString('base64')],
    ['a signed offset', Buffer.from('OffsetConnection:+5').toString('base64')],
    ['a fractional offset', Buffer.from('OffsetConnection:5.0').toString('base64')],
    ['leading zeros', Buffer.from('OffsetConnection:05').toString('base64')],
    ['its base64 padding removed', offsetToCursor(50).replace(/=+$/, '')],
    ['another prefix', Buffer.from('arrayconnection:5').toString('base64')],
    ['no offset', Buffer.from('OffsetConnection:').toString('base64')],
    ['plain text', 'not-a-cursor'],
  ])('refuses a cursor with %s', (_, after) => {
    expect(refusal(() => pageRequest({ after }))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'after is not a cursor this API gave out: use a pageInfo.endCursor or an edge cursor.',
    });
  });

  it.each([0, 101, 2.5])('refuses first: %s', (first) => {
    expect(refusal(() => pageRequest({ first }))?.code).toBe('BAD_USER_INPUT');
  });
});

describe('toConnection', () => {
  it('has a next page while records remain within reach', () => {
    const connection = toConnection(pageOf(25, 60), { limit: 25, offset: 0 }, (item) => item);
    expect(connection.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false, endCursor: offsetToCursor(24) });
    expect(connection.totalCount).toBe(60);
  });

  it('has no next page after the last record', () => {
    expect(toConnection(pageOf(10, 60), { limit: 25, offset: 50 }, (item) => item).pageInfo.hasNextPage).toBe(false);
  });

  it('has no next page at the 10,000-offset cap, however many records remain', () => {
    const last = toConnection(pageOf(100, 50_000), { limit: 100, offset: MAX_OFFSET }, (item) => item);
    expect(last.pageInfo.hasNextPage).toBe(false);
    expect(refusal(() => pageRequest({ first: 100, after: last.pageInfo.endCursor }))?.code).toBe('BAD_USER_INPUT');
  });

  it('has a next page up to the page that ends just before the cap', () => {
    const beforeLast = toConnection(pageOf(100, 50_000), { limit: 100, offset: MAX_OFFSET - 100 }, (item) => item);
    expect(beforeLast.pageInfo.hasNextPage).toBe(true);
    expect(pageRequest({ first: 100, after: beforeLast.pageInfo.endCursor })).toEqual({ limit: 100, offset: MAX_OFFSET });
  });
});
