/** Pagination, filters and sorting as every emulator list applies them. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Collection } from '../../src/emulator/collection.js';
import { parseFilter } from '../../src/emulator/filter.js';
import { TIMESTAMP_AND_ID_SORTS, parseSort } from '../../src/emulator/sort.js';
import { startEmulator, type EmulatorHarness } from './harness.js';
import { epError } from '../support/bodies.js';

const NAMES = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra', 'Barbara Liskov', 'Ken Thompson', 'Donald Knuth'];

let ep: EmulatorHarness;
let ids: string[];
beforeEach(async () => {
  ep = await startEmulator({ seed: false });
  ids = NAMES.map(
    (name, index) =>
      ep.emulator.store.addMember({
        name,
        email: `${name.split(' ')[0]?.toLowerCase()}@example.com`,
        created_at: `2024-01-0${index + 1}T00:00:00.000Z`,
      }).id,
  );
});
afterEach(async () => {
  await ep.close();
});

const names = (answer: { body: { data: Array<{ name: string }> } }) => answer.body.data.map((member) => member.name);

describe('pagination', () => {
  it('describes the first page in meta and links to the pages that exist', async () => {
    const answer = await ep.call('/v2/account-members?page[limit]=3');
    const at = (offset: number) => `${ep.baseUrl}/v2/account-members?page[offset]=${offset}&page[limit]=3`;

    expect(names(answer)).toEqual(['Donald Knuth', 'Ken Thompson', 'Barbara Liskov']);
    expect(answer.body.meta).toEqual({ page: { limit: 3, offset: 0, current: 1, total: 3 }, results: { total: 7 } });
    expect(answer.body.links).toEqual({ current: at(0), first: at(0), last: at(6), next: at(3), prev: null });
  });

  it('describes a middle page with both neighbours', async () => {
    const answer = await ep.call('/v2/account-members?page[limit]=3&page[offset]=3');
    const at = (offset: number) => `${ep.baseUrl}/v2/account-members?page[offset]=${offset}&page[limit]=3`;

    expect(names(answer)).toEqual(['Edsger Dijkstra', 'Alan Turing', 'Grace Hopper']);
    expect(answer.body.meta.page).toEqual({ limit: 3, offset: 3, current: 2, total: 3 });
    expect(answer.body.links).toMatchObject({ current: at(3), next: at(6), prev: at(0) });
  });

  it('has no next link on the last page', async () => {
    const answer = await ep.call('/v2/account-members?page[limit]=3&page[offset]=6');

    expect(names(answer)).toEqual(['Ada Lovelace']);
    expect(answer.body.meta.page.current).toBe(3);
    expect(answer.body.links.next).toBeNull();
    expect(answer.body.links.prev).toBe(`${ep.baseUrl}/v2/account-members?page[offset]=3&page[limit]=3`);
  });

  it('answers an empty page past the end, with zero pages when nothing matches', async () => {
    const past = await ep.call('/v2/account-members?page[offset]=50');
    const none = await ep.call('/v2/account-members?filter=eq(name,nobody)');

    expect(past.body.data).toEqual([]);
    expect(past.body.meta.results.total).toBe(7);
    expect(none.body.meta).toEqual({ page: { limit: 25, offset: 0, current: 1, total: 0 }, results: { total: 0 } });
    expect(none.body.links).toMatchObject({ last: null, next: null, prev: null });
  });

  it('pages 25 records by default, or the defaultPageLength option', async () => {
    const short = await startEmulator({ seed: false, defaultPageLength: 2 });
    try {
      short.emulator.store.addMember({ name: 'One', email: 'one@example.com' });
      short.emulator.store.addMember({ name: 'Two', email: 'two@example.com' });
      short.emulator.store.addMember({ name: 'Three', email: 'three@example.com' });
      const answer = await short.call('/v2/account-members');
      expect(answer.body.data).toHaveLength(2);
      expect(answer.body.meta.page.limit).toBe(2);
    } finally {
      await short.close();
    }
    const standard = await ep.call('/v2/account-members');
    expect(standard.body.meta.page.limit).toBe(25);
  });

  it('keeps the filter, sort and include in the page links', async () => {
    const answer = await ep.call('/v2/account-members?filter=like(email,*example.com)&sort=name&page[limit]=2');

    expect(answer.body.links.next).toBe(
      `${ep.baseUrl}/v2/account-members?page[offset]=2&page[limit]=2&filter=like(email%2C*example.com)&sort=name`,
    );
    const next = await fetch(answer.body.links.next, { headers: { authorization: `Bearer ${ep.token}` } });
    expect(((await next.json()) as { data: Array<{ name: string }> }).data.map((member) => member.name)).toEqual([
      'Barbara Liskov',
      'Donald Knuth',
    ]);
  });

  it('accepts a limit of 100 and an offset of 10000', async () => {
    const answer = await ep.call('/v2/account-members?page[limit]=100&page[offset]=10000');

    expect(answer.status).toBe(200);
    expect(answer.body.meta.page).toMatchObject({ limit: 100, offset: 10000, current: 101 });
  });

  it.each([
    ['page[limit]=101', 'page limit has been exceeded enforced limitation'],
    ['page[limit]=0', "Validation failed: field 'Limit' on the 'positive-pagination-limit' tag."],
    ['page[limit]=ten', "Validation failed: field 'Limit' on the 'positive-pagination-limit' tag."],
    ['page[limit]=-1', "Validation failed: field 'Limit' on the 'positive-pagination-limit' tag."],
    ['page[limit]=2.5', "Validation failed: field 'Limit' on the 'positive-pagination-limit' tag."],
    ['page[offset]=10001', 'page offset has been exceeded enforced limitation'],
  ])('answers 400 to %s', async (query, detail) => {
    const answer = await ep.call(`/v2/account-members?${query}`);

    expect(answer.status).toBe(400);
    expect(answer.body).toEqual(epError('400', 'Bad Request', detail));
  });

  it('answers 400 to a negative offset', async () => {
    const answer = await ep.call('/v2/account-members?page[offset]=-5');

    expect(answer.status).toBe(400);
  });

  it('reads percent-encoded page parameter names', async () => {
    const answer = await ep.call('/v2/account-members?page%5Blimit%5D=1');

    expect(answer.body.data).toHaveLength(1);
  });
});

describe('filters', () => {
  const filtered = (filter: string) => ep.call(`/v2/account-members?filter=${filter}`);

  it('matches eq regardless of case', async () => {
    expect(names(await filtered('eq(name,grace HOPPER)'))).toEqual(['Grace Hopper']);
    expect(names(await filtered('eq(email,ADA@EXAMPLE.COM)'))).toEqual(['Ada Lovelace']);
  });

  it('matches like with * at the start, the end or both, regardless of case', async () => {
    expect(names(await filtered('like(name,*KNUTH)'))).toEqual(['Donald Knuth']);
    expect(names(await filtered('like(name,al*)'))).toEqual(['Alan Turing']);
    expect(names(await filtered('like(name,*RA*)'))).toEqual(['Barbara Liskov', 'Edsger Dijkstra', 'Grace Hopper']);
    expect(names(await filtered('like(name,alan)'))).toEqual([]);
  });

  it('matches in() against a list of ids', async () => {
    const answer = await filtered(`in(id,${ids[0]},${ids[2]},1e2d3c4b-0000-4000-8000-000000000000)`);

    expect(names(answer)).toEqual(['Alan Turing', 'Ada Lovelace']);
  });

  it('combines filters joined with : as AND', async () => {
    expect(names(await filtered('like(name,*a*):like(email,d*)'))).toEqual(['Donald Knuth']);
  });

  it('reads a double-quoted operand with a comma, a colon, a bracket and an escaped quote', async () => {
    ep.emulator.store.addMember({ name: 'Doe, "JJ": Jr (III)', email: 'jj@example.com' });

    const answer = await filtered(encodeURIComponent('eq(name,"Doe, \\"JJ\\": Jr (III)"):eq(email,"jj@example.com")'));

    expect(answer.status).toBe(200);
    expect(names(answer)).toEqual(['Doe, "JJ": Jr (III)']);
  });

  it('reads a filter that is URL-encoded as a whole', async () => {
    const answer = await filtered(encodeURIComponent('eq(name,"Ken Thompson")'));

    expect(names(answer)).toEqual(['Ken Thompson']);
  });

  it('reads a raw + as a space, as Elastic Path does', async () => {
    expect(names(await filtered('eq(name,Ken+Thompson)'))).toEqual(['Ken Thompson']);
  });

  it('accepts ten filters and answers 400 to eleven', async () => {
    const ten = Array.from({ length: 10 }, () => 'like(name,*a*)').join(':');

    expect((await filtered(ten)).status).toBe(200);
    const eleven = await filtered(`${ten}:eq(name,x)`);
    expect(eleven.status).toBe(400);
    expect(eleven.body.errors[0].detail).toContain('at most 10');
  });

  it.each([
    ['an unknown field', 'eq(nickname,x)', "unknown field 'nickname'"],
    ['an unknown operator', 'gte(name,x)', "unknown operator 'gte'"],
    ['an operator the field does not offer', 'in(name,x,y)', "operator 'in' is not supported on 'name'"],
    ['a missing value', 'eq(name)', "'eq' takes a field and one value"],
    ['an unclosed bracket', 'eq(name,x', "expected ',' or ')'"],
    ['an unclosed quote', 'eq(name,"x)', "no closing '\"'"],
    ['text after a clause', 'eq(name,x)eq(name,y)', "expected ':' between filters"],
    ['no operator', '(name,x)', 'expected an operator'],
  ])('answers 400 Bad Request to %s', async (_case, filter, detail) => {
    const answer = await filtered(encodeURIComponent(filter));

    expect(answer.status).toBe(400);
    expect(answer.body.errors[0]).toEqual({ status: '400', title: 'Bad Request', detail: expect.stringContaining(detail) });
  });

  it('splits clauses on : only outside brackets and quotes', () => {
    expect(parseFilter('ge(created_at,2024-04-29T00:00:00.000Z):eq(name,"a:b")')).toEqual([
      { operator: 'ge', field: 'created_at', operands: ['2024-04-29T00:00:00.000Z'] },
      { operator: 'eq', field: 'name', operands: ['a:b'] },
    ]);
  });
});

describe('sorting', () => {
  it.each([
    ['name', ['Ada Lovelace', 'Alan Turing', 'Barbara Liskov']],
    ['-name', ['Ken Thompson', 'Grace Hopper', 'Edsger Dijkstra']],
    ['created_at', ['Ada Lovelace', 'Grace Hopper', 'Alan Turing']],
    ['email', ['Ada Lovelace', 'Alan Turing', 'Barbara Liskov']],
  ])('sorts members by %s', async (sort, firstThree) => {
    const answer = await ep.call(`/v2/account-members?sort=${sort}&page[limit]=3`);

    expect(names(answer)).toEqual(firstThree);
  });

  it('keeps insertion order between records created in the same instant', async () => {
    const { store } = ep.emulator;
    const account = store.addAccount({ name: 'Same time' });
    const memberships = ids.map((id) => store.addMembership(account.id, id, { created_at: '2024-06-01T00:00:00.000Z' }));

    const newest = await ep.call(`/v2/accounts/${account.id}/account-memberships?page[limit]=3`);
    const oldest = await ep.call(`/v2/accounts/${account.id}/account-memberships?sort=created_at&page[limit]=3`);

    const idsOf = (answer: { body: { data: Array<{ id: string }> } }) => answer.body.data.map((item) => item.id);
    expect(idsOf(newest)).toEqual(
      memberships
        .slice(-3)
        .reverse()
        .map((membership) => membership.id),
    );
    expect(idsOf(oldest)).toEqual(memberships.slice(0, 3).map((membership) => membership.id));
  });

  it('sorts a collection once per order, and again only after it changes', () => {
    const collection = new Collection<{ id: string; rank: number }>((item) => item.id);
    collection.add({ id: 'b', rank: 2 });
    collection.add({ id: 'a', rank: 1 });
    const byRank = vi.fn((x: { rank: number }, y: { rank: number }) => x.rank - y.rank);

    const first = collection.sorted(byRank);
    const callsForFirst = byRank.mock.calls.length;
    const second = collection.sorted(byRank);
    expect(second).toBe(first);
    expect(byRank.mock.calls.length).toBe(callsForFirst);

    collection.add({ id: 'c', rank: 0 });
    expect(collection.sorted(byRank).map((item) => item.id)).toEqual(['c', 'a', 'b']);
  });

  it('answers the same comparator for the same sort every time, so cached orders are found again', () => {
    expect(parseSort('-created_at', TIMESTAMP_AND_ID_SORTS)).toBe(parseSort('-created_at', TIMESTAMP_AND_ID_SORTS));
    expect(parseSort(undefined, TIMESTAMP_AND_ID_SORTS)).toBe(parseSort('-created_at', TIMESTAMP_AND_ID_SORTS));
    expect(parseSort('id', TIMESTAMP_AND_ID_SORTS)).not.toBe(parseSort('-id', TIMESTAMP_AND_ID_SORTS));
  });
});
