/**
 * What browsers, bots and broken clients get, and how it is logged and counted: preflights the
 * gateway's CORS does not allow, GETs without the CSRF header, GETs for HTML, bodies that are not
 * JSON. Each has its own code (a preflight none at all), never INTERNAL_SERVER_ERROR; nothing the
 * caller sent is echoed back. And GET answers say who may cache them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { TOKEN } from '../support/ids.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';

const SHOP = 'https://shop.example.com';

let upstream: ScriptedUpstream | undefined;
let gateway: TestGateway | undefined;

async function start(env: Record<string, string> = {}): Promise<TestGateway> {
  upstream = await startScriptedUpstream();
  gateway = await startGateway({ upstreamUrl: upstream.url, env });
  return gateway;
}

afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  upstream?.verify();
  // Nothing in these tests reaches Elastic Path.
  expect(upstream?.received).toEqual([]);
  await upstream?.close();
  upstream = undefined;
});

/** The access-log lines of one request. */
function accessLines(target: TestGateway, requestId: string): Array<Record<string, unknown>> {
  return target.logs
    .flatMap((chunk) => chunk.split('\n'))
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === 'operation' && line.requestId === requestId);
}

/** `graphql_errors_total` by code. */
async function errorCounts(target: TestGateway): Promise<Record<string, number>> {
  const text = await (await fetch(`${target.url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const [, code, value] of text.matchAll(/^graphql_errors_total\{code="([^"]+)"\} (\S+)$/gm)) counts[code!] = Number(value);
  return counts;
}

const preflight = (target: TestGateway, origin: string, requestId: string) =>
  fetch(`${target.url}/graphql`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,authorization',
      'x-request-id': requestId,
    },
  });

describe('in production, with CORS_ORIGINS unset', () => {
  it("tells a browser's preflight no with 204 and no access-control headers, and neither logs nor counts it", async () => {
    const target = await start({ NODE_ENV: 'production' });
    const response = await preflight(target, SHOP, 'preflight-1');
    expect(response.status).toBe(204);
    expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    expect(response.headers.get('x-request-id')).toBe('preflight-1');
    expect(await response.text()).toBe('');
    expect(accessLines(target, 'preflight-1')).toEqual([]);
    expect(await errorCounts(target)).toEqual({});
  });

  it('answers a GET asking for HTML with 406, logged and counted as NOT_ACCEPTABLE', async () => {
    const target = await start({ NODE_ENV: 'production' });
    for (const path of ['/graphql', `/graphql?query=${encodeURIComponent('{ __typename }')}`]) {
      const response = await fetch(`${target.url}${path}`, { headers: { accept: 'text/html', 'x-request-id': `html-${path.length}` } });
      expect(response.status).toBe(406);
      expect(await response.text()).toBe('');
      expect(accessLines(target, `html-${path.length}`)).toEqual([
        expect.objectContaining({ status: 406, errorCodes: ['NOT_ACCEPTABLE'] }),
      ]);
    }
    expect(await errorCounts(target)).toEqual({ NOT_ACCEPTABLE: 2 });
  });
});

describe('a preflight from an origin not on CORS_ORIGINS', () => {
  it('gets 204 with no access-control headers, and is neither logged nor counted', async () => {
    const target = await start({ CORS_ORIGINS: SHOP });
    const response = await preflight(target, 'https://evil.example.net', 'preflight-2');
    expect(response.status).toBe(204);
    expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    expect(accessLines(target, 'preflight-2')).toEqual([]);
    expect(await errorCounts(target)).toEqual({});
    // A listed origin's preflight is still allowed.
    expect((await preflight(target, SHOP, 'preflight-3')).headers.get('access-control-allow-origin')).toBe(SHOP);
  });
});

describe('a GET without the CSRF-prevention header', () => {
  it('is refused with 403 and CSRF_HEADER_REQUIRED, saying which header to send, and counted under that code', async () => {
    const target = await start();
    const response = await fetch(`${target.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/graphql-response+json', 'x-request-id': 'csrf-1' },
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      errors: [
        {
          message:
            'Required CSRF header not present: a GET or a form POST must carry x-graphql-yoga-csrf or apollo-require-preflight (any value), which a page on another site cannot send.',
          extensions: { code: 'CSRF_HEADER_REQUIRED', requestId: 'csrf-1' },
        },
      ],
    });
    expect(accessLines(target, 'csrf-1')).toEqual([expect.objectContaining({ status: 403, errorCodes: ['CSRF_HEADER_REQUIRED'] })]);
    expect(await errorCounts(target)).toEqual({ CSRF_HEADER_REQUIRED: 1 });
  });
});

describe('a request Yoga refuses before any GraphQL', () => {
  it('is BAD_REQUEST, in the answer and in the log, when it gives no code of its own', async () => {
    const target = await start();
    const response = await fetch(`${target.url}/graphql`, {
      headers: { accept: 'application/graphql-response+json', 'x-graphql-yoga-csrf': '1', 'x-request-id': 'no-query-1' },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errors: [{ message: 'Must provide query string.', extensions: { code: 'BAD_REQUEST', requestId: 'no-query-1' } }],
    });
    expect(accessLines(target, 'no-query-1')).toEqual([expect.objectContaining({ status: 400, errorCodes: ['BAD_REQUEST'] })]);
    expect(await errorCounts(target)).toEqual({ BAD_REQUEST: 1 });
  });
});

describe('a body that is not JSON', () => {
  it('is refused with BAD_REQUEST without echoing any of it', async () => {
    const target = await start();
    const secret = 'hunter2-the-password-in-a-variable';
    const response = await fetch(`${target.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', 'x-request-id': 'bad-json-1' },
      body: `{"query":"mutation { __typename }","variables":{"password":"${secret}"`,
    });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).not.toContain(secret);
    expect(JSON.parse(text)).toEqual({
      errors: [{ message: 'POST body sent invalid JSON.', extensions: { code: 'BAD_REQUEST', requestId: 'bad-json-1' } }],
    });
    expect(target.logs.join('')).not.toContain(secret);
  });
});

describe('GET answers and HTTP caches', () => {
  const query = `/graphql?query=${encodeURIComponent('{ __typename }')}`;
  const get = (target: TestGateway, headers: Record<string, string>) =>
    fetch(`${target.url}${query}`, { headers: { accept: 'application/graphql-response+json', 'x-graphql-yoga-csrf': '1', ...headers } });
  const varies = (response: Response) => (response.headers.get('vary') ?? '').split(',').map((name) => name.trim().toLowerCase());

  it('marks an answer that used a token private and not to be stored, and varies it on the credentials and Origin', async () => {
    const target = await start({ CORS_ORIGINS: SHOP });
    const both: Array<Record<string, string>> = [
      { authorization: TOKEN },
      { 'ep-account-management-authentication-token': 'a'.repeat(40) },
    ];
    for (const credentials of both) {
      const response = await get(target, { ...credentials, origin: SHOP });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('private, no-store');
      expect(varies(response)).toEqual(expect.arrayContaining(['authorization', 'ep-account-management-authentication-token', 'origin']));
      expect(response.headers.get('access-control-allow-origin')).toBe(SHOP);
    }
  });

  it('varies an answer without a token on the credentials and Origin too, since one with them differs', async () => {
    const target = await start({ CORS_ORIGINS: SHOP });
    // An unlisted origin gets no CORS headers: a cache must not hand that answer to a listed one.
    const response = await get(target, { origin: 'https://evil.example.net' });
    expect(response.headers.get('cache-control')).toBeNull();
    expect(varies(response)).toEqual(expect.arrayContaining(['authorization', 'ep-account-management-authentication-token', 'origin']));
  });

  it('does not vary on Origin when CORS is off, since no answer depends on it', async () => {
    const target = await start({ NODE_ENV: 'production' });
    const response = await get(target, { authorization: TOKEN });
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(varies(response).sort()).toEqual(['authorization', 'ep-account-management-authentication-token']);
  });
});
