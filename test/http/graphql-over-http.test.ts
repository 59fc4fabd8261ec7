/**
 * The GraphQL over HTTP audit (graphql-http's `serverAudits`), run against a gateway with the HTTP
 * fast path and one without: every MUST passes on both, and every SHOULD and MAY comes out the
 * same on both. The audits ask only for `{ __typename }`, so no token is needed and nothing
 * reaches Elastic Path. `http_fast_path_requests_total` shows that the first gateway served on the
 * fast path exactly the audit requests that are for it, and the second none.
 */
import { serverAudits, type Audit } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastPathServed, startGatewayPair, type GatewayPair } from '../support/fast-path.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';

interface Sent {
  method: string;
  url: URL;
  headers: Headers;
  body: unknown;
}

/**
 * What the fast path takes (README, Performance): a POST to `/graphql` whose body is a non-empty
 * JSON object or array, sent as `application/json` or `application/graphql+json` (parameters
 * allowed), by a caller that accepts no stream.
 */
function forTheFastPath({ method, url, headers, body }: Sent): boolean {
  if (method !== 'POST' || url.pathname !== '/graphql') return false;
  const type = headers.get('content-type') ?? '';
  if (!['application/json', 'application/graphql+json'].some((json) => type === json || type.startsWith(`${json};`))) return false;
  if (/text\/event-stream|multipart\/mixed/i.test(headers.get('accept') ?? '')) return false;
  let parsed: unknown;
  try {
    parsed = typeof body === 'string' ? JSON.parse(body) : undefined;
  } catch {
    return false;
  }
  return typeof parsed === 'object' && parsed !== null && Object.keys(parsed).length > 0;
}

let upstream: ScriptedUpstream;
let pair: GatewayPair;

/** The audits of one gateway, and every request they sent. */
function audited(gateway: () => string): { audits: Map<string, Audit>; sent: Sent[] } {
  const sent: Sent[] = [];
  const fetchFn = (input: string | URL, init: RequestInit = {}) => {
    sent.push({ method: init.method ?? 'GET', url: new URL(input), headers: new Headers(init.headers), body: init.body });
    return fetch(input, init);
  };
  const audits = serverAudits({ url: () => `${gateway()}/graphql`, fetchFn });
  return { audits: new Map(audits.map((audit) => [audit.id, audit])), sent };
}

const fast = audited(() => pair.fast.url);
const full = audited(() => pair.full.url);
const AUDITS = [...fast.audits.values()].map((audit) => [audit.name, audit.id] as const);

beforeAll(async () => {
  upstream = await startScriptedUpstream();
  pair = await startGatewayPair({ upstreamUrl: upstream.url });
});
afterAll(async () => {
  await pair?.close();
  expect(upstream?.received).toEqual([]);
  await upstream?.close();
});

describe('the GraphQL over HTTP audit', () => {
  it('lists the same audits for both gateways', () => {
    expect([...full.audits.keys()]).toEqual([...fast.audits.keys()]);
    expect(AUDITS.length).toBeGreaterThan(20);
  });

  it.each(AUDITS)('%s (%s): the same result with the fast path and without', async (name, id) => {
    const results = [];
    for (const [side, gateway] of [
      [fast, pair.fast],
      [full, pair.full],
    ] as const) {
      const from = side.sent.length;
      const before = await fastPathServed(gateway);
      const result = await side.audits.get(id)!.fn();
      const served = (await fastPathServed(gateway)) - before;
      const sent = side.sent.slice(from);
      results.push({
        status: result.status,
        reason: 'reason' in result ? result.reason : undefined,
        served,
        forTheFastPath: sent.filter(forTheFastPath).length,
      });
    }
    const [withFastPath, without] = results;
    expect(withFastPath?.served).toBe(withFastPath?.forTheFastPath);
    expect(without?.served).toBe(0);
    expect({ status: withFastPath?.status, reason: withFastPath?.reason }).toEqual({ status: without?.status, reason: without?.reason });
    if (name.startsWith('MUST')) expect(withFastPath?.status, withFastPath?.reason).toBe('ok');
  });
});
