/** The loaders against a scripted Elastic Path: account batches that are refused or ignored, and bounded single lookups. */
import { describe, expect, it } from 'vitest';
import { FiveMembersDocument, ThreeAccountsDocument } from '../gql/graphql.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { TOKEN } from '../support/ids.js';
import { epError } from '../support/bodies.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';
import { useScriptedGateway } from '../support/scripted-gateway.js';

const ids = ['0a000000-0000-4000-8000-0000000000a1', '0a000000-0000-4000-8000-0000000000a2', '0a000000-0000-4000-8000-0000000000a3'];
const account = (id: string, name: string) => ({ id, type: 'account', name });
const page = (items: unknown[]) => ({
  data: items,
  meta: { page: { limit: 100, offset: 0, current: 1, total: 1 }, results: { total: items.length } },
  links: { current: null, first: null, last: null, next: null, prev: null },
});

let upstream: ScriptedUpstream;
let gateway: TestGateway;
useScriptedGateway({}, (started) => ({ upstream, gateway } = started));

const three = () => gateway.execute(ThreeAccountsDocument, { a: ids[0]!, b: ids[1]!, c: ids[2]! }, { authorization: TOKEN });
const expected = { a: { name: 'A' }, b: { name: 'B' }, c: { name: 'C' } };
const singles = () => [
  { status: 200, json: { data: account(ids[0]!, 'A') } },
  { status: 200, json: { data: account(ids[1]!, 'B') } },
  { status: 200, json: { data: account(ids[2]!, 'C') } },
];

describe('batched account lookups', () => {
  it('fall back to single GETs when the batch filter is refused', async () => {
    upstream.reply({ status: 400, json: epError('400', 'Bad Request', 'unknown operator in') }, ...singles());
    const result = await three();
    expect(result.data).toEqual(expected);
    const urls = upstream.received.map((request) => decodeURIComponent(request.rawUrl));
    expect(urls[0]).toBe(`/v2/accounts?page[limit]=100&page[offset]=0&filter=in(id,${ids.join(',')})`);
    expect(urls.slice(1).sort()).toEqual(ids.map((id) => `/v2/accounts/${id}`).sort());
  });

  it('fall back to single GETs when the batch URL is refused as too long', async () => {
    upstream.reply({ status: 414, body: 'URI Too Long' }, ...singles());
    expect((await three()).data).toEqual(expected);
    expect(upstream.received).toHaveLength(4);
  });

  it('fall back to single GETs when the batch answer holds records that were not asked for', async () => {
    upstream.reply({ status: 200, json: page([account('0a000000-0000-4000-8000-0000000000ff', 'Other')]) }, ...singles());
    expect((await three()).data).toEqual(expected);
    expect(upstream.received).toHaveLength(4);
  });

  it('look up singly only the ids a batch did not return', async () => {
    upstream.reply(
      { status: 200, json: page([account(ids[0]!, 'A'), account(ids[2]!, 'C')]) },
      { status: 404, json: epError('404', 'Not Found', 'account not found') },
    );
    const result = await three();
    expect(result.data).toEqual({ a: { name: 'A' }, b: null, c: { name: 'C' } });
    expect(upstream.received.map((request) => request.rawUrl)[1]).toBe(`/v2/accounts/${ids[1]}`);
  });

  it('do not fan out into single GETs when the batch meets a server fault', async () => {
    upstream.reply({ status: 500, json: epError('500', 'Internal Server Error', 'there was a problem processing your request') });
    const result = await three();
    expect(result.data).toEqual({ a: null, b: null, c: null });
    expect(result.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([
      [['a'], 'UPSTREAM_ERROR'],
      [['b'], 'UPSTREAM_ERROR'],
      [['c'], 'UPSTREAM_ERROR'],
    ]);
    expect(upstream.received).toHaveLength(1);
  });

  it('do not fan out into single GETs when the batch answer has an unexpected shape', async () => {
    upstream.reply({ status: 200, json: { data: 'not a page' } });
    const result = await three();
    expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['UPSTREAM_ERROR', 'UPSTREAM_ERROR', 'UPSTREAM_ERROR']);
    expect(upstream.received).toHaveLength(1);
  });

  it('do not retry one by one when Elastic Path rejects the token', async () => {
    upstream.reply({ status: 401, json: epError(401, 'Unable to validate access token') });
    const result = await three();
    expect(result.errors?.every((error) => error.extensions?.code === 'UNAUTHENTICATED')).toBe(true);
    expect(upstream.received).toHaveLength(1);
  });
});

describe('ids that differ only in case', () => {
  it('are one account batch key, sent in lowercase, whose answer is not taken as ignored', async () => {
    upstream.reply({ status: 200, json: page([account(ids[0]!, 'A'), account(ids[1]!, 'B')]) });
    const result = await gateway.execute(
      ThreeAccountsDocument,
      { a: ids[0]!.toUpperCase(), b: ids[1]!, c: ids[0]! },
      { authorization: TOKEN },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ a: { name: 'A' }, b: { name: 'B' }, c: { name: 'A' } });
    expect(upstream.received.map((request) => decodeURIComponent(request.rawUrl))).toEqual([
      `/v2/accounts?page[limit]=100&page[offset]=0&filter=in(id,${ids[0]},${ids[1]})`,
    ]);
  });

  it('are one member lookup, by the lowercase id', async () => {
    const [x, y] = ['0b000000-0000-4000-8000-0000000000bc', '0b000000-0000-4000-8000-0000000000bd'];
    upstream.reply(
      { status: 200, json: { data: { id: x, type: 'account_member', name: 'X', email: 'x@x.com' } } },
      { status: 200, json: { data: { id: y, type: 'account_member', name: 'Y', email: 'y@x.com' } } },
    );
    const result = await gateway.execute(
      FiveMembersDocument,
      { a: x.toUpperCase(), b: x, c: y, d: y.toUpperCase(), e: y },
      { authorization: TOKEN },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ a: { name: 'X' }, b: { name: 'X' }, c: { name: 'Y' }, d: { name: 'Y' }, e: { name: 'Y' } });
    expect(upstream.received.map((request) => request.rawUrl).sort()).toEqual([`/v2/account-members/${x}`, `/v2/account-members/${y}`]);
  });
});

describe('single member lookups', () => {
  it('keep at most EP_LOOKUP_CONCURRENCY in flight for one request', async () => {
    const slow = await startScriptedUpstream();
    const bounded = await startGateway({ upstreamUrl: slow.url, env: { EP_LOOKUP_CONCURRENCY: '2' } });
    try {
      const members = ids.concat('0b000000-0000-4000-8000-0000000000b4', '0b000000-0000-4000-8000-0000000000b5');
      for (const id of members) {
        // Replies go out in arrival order, which concurrency makes any order: one name for all.
        slow.reply({ status: 200, delayMs: 60, json: { data: { id, type: 'account_member', name: 'M', email: 'm@x.com' } } });
      }
      const result = await bounded.execute(
        FiveMembersDocument,
        { a: members[0]!, b: members[1]!, c: members[2]!, d: members[3]!, e: members[4]! },
        { authorization: TOKEN },
      );
      expect(result.errors).toBeUndefined();
      expect(result.data).toEqual({ a: { name: 'M' }, b: { name: 'M' }, c: { name: 'M' }, d: { name: 'M' }, e: { name: 'M' } });
      expect(slow.received.map((request) => request.rawUrl).sort()).toEqual(members.map((id) => `/v2/account-members/${id}`).sort());
      expect(slow.received).toHaveLength(5);
      expect(slow.maxInFlight()).toBe(2);
      slow.verify();
    } finally {
      await bounded.close();
      await slow.close();
    }
  });
});

describe('single account lookups', () => {
  it('keep at most EP_LOOKUP_CONCURRENCY in flight when a refused batch falls back to them', async () => {
    const slow = await startScriptedUpstream();
    const bounded = await startGateway({ upstreamUrl: slow.url, env: { EP_LOOKUP_CONCURRENCY: '2' } });
    try {
      slow.reply({ status: 400, json: epError('400', 'Bad Request', 'unknown operator in') });
      // Replies go out in arrival order, which concurrency makes any order: one name for all.
      for (const id of ids) slow.reply({ status: 200, delayMs: 60, json: { data: account(id, 'Same') } });
      const result = await bounded.execute(ThreeAccountsDocument, { a: ids[0]!, b: ids[1]!, c: ids[2]! }, { authorization: TOKEN });
      expect(result.errors).toBeUndefined();
      expect(result.data).toEqual({ a: { name: 'Same' }, b: { name: 'Same' }, c: { name: 'Same' } });
      expect(
        slow.received
          .slice(1)
          .map((request) => request.rawUrl)
          .sort(),
      ).toEqual(ids.map((id) => `/v2/accounts/${id}`).sort());
      expect(slow.maxInFlight()).toBe(2);
      slow.verify();
    } finally {
      await bounded.close();
      await slow.close();
    }
  });
});
