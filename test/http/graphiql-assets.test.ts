/**
 * GraphiQL's page is small and names its assets, which are served separately: compressed as the
 * browser accepts, cacheable for good (their URLs change with their content), and byte for byte
 * what Yoga's renderer would have inlined.
 */
import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { css, js } from '@graphql-yoga/render-graphiql/graphiql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';

let upstream: ScriptedUpstream;
let gateway: TestGateway;
let assets: Record<string, string>;

beforeAll(async () => {
  upstream = await startScriptedUpstream();
  gateway = await startGateway({
    upstreamUrl: upstream.url,
    env: { GRAPHIQL: 'true' },
    graphiql: { defaultQuery: 'query Demo { __typename } # </script><script>alert(1)</script>' },
  });
  const html = await (await fetch(`${gateway.url}/graphql`, { headers: { accept: 'text/html' } })).text();
  assets = Object.fromEntries(
    [...html.matchAll(/"\.(\/graphiql-assets\/[0-9a-f]{16}\/([\w.]+))"/g)].map(([, path = '', name = '']) => [name, path]),
  );
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gateway.url}${path}`, { headers });

/** The bytes as they came over the wire (fetch would decode them itself). */
function raw(path: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpGet(`${gateway.url}${path}`, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

describe('the GraphiQL page', () => {
  it('is a few kilobytes that name each asset instead of inlining it', async () => {
    const response = await get('/graphql', { accept: 'text/html' });
    const html = await response.text();
    expect(html.length).toBeLessThan(4096);
    expect(Object.keys(assets).sort()).toEqual([
      'editor.worker.js',
      'favicon.ico',
      'graphiql.css',
      'graphiql.js',
      'graphql.worker.js',
      'json.worker.js',
    ]);
  });

  it('carries its options in a script no option text can close', async () => {
    const html = await (await get('/graphql', { accept: 'text/html' })).text();
    expect(html).not.toContain('</script><script>alert(1)');
    expect(html).toContain('\\u003c/script>\\u003cscript>alert(1)');
  });
});

describe('the assets', () => {
  it.each([
    ['br', (body: Buffer) => brotliDecompressSync(body)],
    ['gzip', (body: Buffer) => gunzipSync(body)],
  ] as const)('are sent %s-compressed when accepted, and decompress to what the renderer inlines', async (encoding, decode) => {
    const response = await raw(assets['graphiql.js']!, { 'accept-encoding': `${encoding}, identity;q=0.5` });
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({
      'content-encoding': encoding,
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=31536000, immutable',
      vary: 'accept-encoding',
      'content-length': String(response.body.length),
    });
    expect(response.body.length).toBeLessThan(js.length / 3);
    const body = decode(response.body);
    expect(body.toString('utf8')).toBe(js);
  });

  it('are sent as they are to a client that accepts no compression', async () => {
    const response = await get(assets['graphiql.css']!, { 'accept-encoding': 'identity' });
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(await response.text()).toBe(css);
  });

  it('answer 304 to a browser that already holds them', async () => {
    const first = await get(assets['graphiql.css']!);
    const etag = first.headers.get('etag');
    await first.arrayBuffer();
    expect(etag).toMatch(/^"[0-9a-f]{16}-graphiql.css"$/);
    const again = await get(assets['graphiql.css']!, { 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('answer 404 for a name or version that does not exist', async () => {
    expect((await get('/graphiql-assets/0000000000000000/graphiql.js')).status).toBe(404);
    expect((await get(assets['graphiql.js']!.replace('graphiql.js', 'other.js'))).status).toBe(404);
  });
});
