/**
 * CORS: which browser origins may call the gateway (CORS_ORIGINS, with a different default in
 * production), with or without credentials (CORS_CREDENTIALS), which request headers a preflight
 * allows, and that the request id is readable from a page.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';

const SHOP = 'https://shop.example.com';
const ADMIN = 'https://admin.example.com:8443';
const ELSEWHERE = 'https://evil.example.net';

/** Every header the gateway reads from a caller, as a browser lists them in a preflight. */
const GATEWAY_HEADERS = [
  'authorization',
  'content-type',
  'ep-account-management-authentication-token',
  'x-request-id',
  'graphql-client-name',
  'graphql-client-version',
  'apollographql-client-name',
  'apollographql-client-version',
];

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
  // Nothing in these tests needs Elastic Path.
  expect(upstream?.received).toEqual([]);
  await upstream?.close();
  upstream = undefined;
});

/** A cross-origin JSON POST, as `fetch` from a page on `origin` sends it after its preflight. */
function post(target: TestGateway, origin: string | undefined) {
  return fetch(`${target.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      'x-request-id': 'cors-1',
      ...(origin === undefined ? {} : { origin }),
    },
    body: JSON.stringify({ query: '{ __typename }' }),
  });
}

/** The preflight a browser sends before that POST. */
function preflight(target: TestGateway, origin: string, headers: string[] = ['content-type', 'authorization']) {
  return fetch(`${target.url}/graphql`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': headers.join(','),
    },
  });
}

/** Header names a preflight answer allows, lower-cased. */
const allowedHeaders = (response: Response) =>
  (response.headers.get('access-control-allow-headers') ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);

const varies = (response: Response) => (response.headers.get('vary') ?? '').split(',').map((name) => name.trim().toLowerCase());

/** No access-control header of any kind: the browser refuses the page its answer. */
function expectNoCors(response: Response) {
  const names = [...response.headers.keys()].filter((name) => name.startsWith('access-control-'));
  expect(names).toEqual([]);
}

describe('default origins', () => {
  it('lets any origin call in development, echoing it without credentials', async () => {
    const target = await start();
    for (const origin of [SHOP, ELSEWHERE, 'http://localhost:5173']) {
      const response = await post(target, origin);
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(varies(response)).toContain('origin');
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      expect(response.headers.get('access-control-expose-headers')).toMatch(/\bx-request-id\b/i);
    }
  });

  it('lets no origin call with NODE_ENV=production, for simple requests and preflights', async () => {
    const target = await start({ NODE_ENV: 'production' });
    const response = await post(target, SHOP);
    // The gateway still answers (a server or curl may call it), but a browser page may not read it.
    expect(response.status).toBe(200);
    expectNoCors(response);
    expect(response.headers.get('x-request-id')).toBe('cors-1');

    const check = await preflight(target, SHOP);
    expectNoCors(check);
  });

  it('lets the listed origins call in production when CORS_ORIGINS says so', async () => {
    const target = await start({ NODE_ENV: 'production', CORS_ORIGINS: SHOP });
    expect((await post(target, SHOP)).headers.get('access-control-allow-origin')).toBe(SHOP);
    expectNoCors(await post(target, ELSEWHERE));
  });

  it('lets any origin call in production with CORS_ORIGINS=*', async () => {
    const target = await start({ NODE_ENV: 'production', CORS_ORIGINS: '*' });
    expect((await post(target, ELSEWHERE)).headers.get('access-control-allow-origin')).toBe(ELSEWHERE);
  });
});

describe('a list of origins', () => {
  it.each([
    ['one origin', SHOP],
    ['two origins', `${SHOP}, ${ADMIN}`],
  ])('with %s, answers a listed origin with that origin and Vary: Origin', async (_kind, origins) => {
    const target = await start({ CORS_ORIGINS: origins });
    for (const origin of origins.split(',').map((one) => one.trim())) {
      const response = await post(target, origin);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(varies(response)).toContain('origin');
      expect(response.headers.get('access-control-expose-headers')).toMatch(/\bx-request-id\b/i);
    }
  });

  it.each([
    ['one origin', SHOP],
    ['two origins', `${SHOP},${ADMIN}`],
  ])('with %s, gives an unlisted origin no access-control headers at all', async (_kind, origins) => {
    const target = await start({ CORS_ORIGINS: origins });
    for (const origin of [ELSEWHERE, 'https://shop.example.com.evil.example', 'http://shop.example.com', 'null']) {
      const response = await post(target, origin);
      expect(response.status).toBe(200);
      expectNoCors(response);
      expectNoCors(await preflight(target, origin));
    }
  });

  it('adds no access-control headers to a same-origin or server-side request, which sends no Origin', async () => {
    const target = await start({ CORS_ORIGINS: SHOP });
    const response = await post(target, undefined);
    expect(response.status).toBe(200);
    expectNoCors(response);
  });
});

describe('credentials', () => {
  it('are not allowed unless CORS_CREDENTIALS=true', async () => {
    const target = await start({ CORS_ORIGINS: SHOP });
    expect((await post(target, SHOP)).headers.get('access-control-allow-credentials')).toBeNull();
    expect((await preflight(target, SHOP)).headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('are allowed for listed origins with CORS_CREDENTIALS=true, and only for them', async () => {
    const target = await start({ CORS_ORIGINS: `${SHOP},${ADMIN}`, CORS_CREDENTIALS: 'true' });
    const listed = await post(target, ADMIN);
    expect(listed.headers.get('access-control-allow-origin')).toBe(ADMIN);
    expect(listed.headers.get('access-control-allow-credentials')).toBe('true');
    expect((await preflight(target, ADMIN)).headers.get('access-control-allow-credentials')).toBe('true');
    expectNoCors(await post(target, ELSEWHERE));
  });
});

describe('preflight', () => {
  it('allows POST with every header the gateway reads, for ten minutes', async () => {
    const target = await start({ CORS_ORIGINS: SHOP });
    const response = await preflight(target, SHOP, GATEWAY_HEADERS);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(response.headers.get('access-control-allow-methods')?.split(/,\s*/)).toEqual(expect.arrayContaining(['GET', 'POST']));
    expect(allowedHeaders(response)).toEqual(expect.arrayContaining(GATEWAY_HEADERS));
    expect(response.headers.get('access-control-max-age')).toBe('600');
  });

  it('matches header names whatever their case, as browsers may send them', async () => {
    const target = await start();
    const response = await preflight(target, SHOP, ['EP-Account-Management-Authentication-Token', 'X-Request-Id']);
    expect(allowedHeaders(response)).toEqual(expect.arrayContaining(['ep-account-management-authentication-token', 'x-request-id']));
  });

  it('carries a request id like every other answer, and writes no access-log line', async () => {
    const target = await start();
    const response = await fetch(`${target.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: SHOP, 'access-control-request-method': 'POST', 'x-request-id': 'preflight-1' },
    });
    expect(response.headers.get('x-request-id')).toBe('preflight-1');
    expect(target.logs.filter((line) => line.includes('"msg":"operation"'))).toEqual([]);
  });
});
