/** Limits on what one request may ask for: each is a setting and fails with a clear error before any upstream call. */
import { createHash } from 'node:crypto';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getIntrospectionQuery } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ACCOUNT_ID, MEMBER_ID, TOKEN } from '../support/ids.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';

let upstream: ScriptedUpstream;
let gateway: TestGateway;

async function start(env: Record<string, string> = {}) {
  upstream = await startScriptedUpstream();
  gateway = await startGateway({ upstreamUrl: upstream.url, env });
}

afterEach(async () => {
  await gateway?.close();
  upstream?.verify();
  await upstream?.close();
});

const auth = { authorization: TOKEN };
const create = (alias: string) =>
  `${alias}: createAccountMembership(accountId: "${ACCOUNT_ID}", accountMemberId: "${MEMBER_ID}") { __typename }`;

describe('operation limits', () => {
  it('refuses an operation nested deeper than MAX_DEPTH', async () => {
    await start({ MAX_DEPTH: '4' });
    const deep = `{ account(id: "${ACCOUNT_ID}") { parent { parent { parent { parent { name } } } } } }`;
    const result = await gateway.post({ query: deep }, auth);
    expect(result.status).toBe(400);
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0]).toMatchObject({
      message: 'Query depth limit of 4 exceeded, found 6.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(upstream.received).toHaveLength(0);
  });

  it('refuses more aliases than MAX_ALIASES', async () => {
    await start({ MAX_ALIASES: '3' });
    const query = `{ ${[1, 2, 3, 4].map((n) => `m${n}: accountMember(id: "${MEMBER_ID}") { id }`).join(' ')} }`;
    const result = await gateway.post({ query }, auth);
    expect(result.status).toBe(400);
    expect(result.errors?.[0]).toMatchObject({ message: 'Aliases limit of 3 exceeded, found 4.', extensions: { code: 'BAD_USER_INPUT' } });
    expect(upstream.received).toHaveLength(0);
  });

  it('refuses a document with more than MAX_TOKENS tokens', async () => {
    await start({ MAX_TOKENS: '50' });
    const query = `{ ${Array.from({ length: 60 }, () => '__typename').join(' ')} }`;
    const result = await gateway.post({ query }, auth);
    expect(result.status).toBe(400);
    expect(result.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/token/i),
        extensions: expect.objectContaining({ code: 'GRAPHQL_PARSE_FAILED' }),
      }),
    ]);
    expect(upstream.received).toHaveLength(0);
    // At the limit it runs.
    const atLimit = await gateway.post({ query: `{ ${Array.from({ length: 47 }, () => '__typename').join(' ')} }` }, auth);
    expect(atLimit.errors).toBeUndefined();
  });

  it('refuses more root mutation fields than MAX_MUTATION_FIELDS, fragments included', async () => {
    await start({ MAX_MUTATION_FIELDS: '2' });
    const query = `mutation { ${create('a')} ...more } fragment more on Mutation { ${create('b')} ${create('c')} }`;
    const result = await gateway.post({ query }, auth);
    expect(result.status).toBe(400);
    expect(result.errors?.[0]).toMatchObject({
      message: 'This operation has 3 mutation fields; at most 2 are allowed in one operation. Send them in separate requests.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(upstream.received).toHaveLength(0);
  });

  it('runs batched operations up to BATCH_LIMIT and refuses larger batches', async () => {
    await start({ BATCH_LIMIT: '2' });
    const ok = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(await ok.json()).toEqual([
      { data: { __typename: 'Query' }, extensions: { cost: { estimated: 0, actual: 0 } } },
      { data: { __typename: 'Query' }, extensions: { cost: { estimated: 0, actual: 0 } } },
    ]);
    const tooMany = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(tooMany.status).toBe(413);
    expect(await tooMany.json()).toEqual({
      errors: [
        { message: 'Batching is limited to 2 operations per request.', extensions: { code: 'BAD_REQUEST', requestId: expect.any(String) } },
      ],
    });
  });

  it('refuses batches altogether with BATCH_LIMIT=0', async () => {
    await start({ BATCH_LIMIT: '0' });
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }]),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errors: [{ message: 'Batching is not supported.', extensions: { code: 'BAD_REQUEST', requestId: expect.any(String) } }],
    });
  });
});

describe('request bodies', () => {
  it('answers 413 to a body over MAX_BODY_BYTES', async () => {
    await start({ MAX_BODY_BYTES: '2048' });
    const result = await gateway.post({ query: `{ __typename } # ${'x'.repeat(4000)}` });
    expect(result.status).toBe(413);
    expect(result.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it("keeps MAX_BODY_BYTES where the app is mounted without the gateway's own server", async () => {
    await start({ MAX_BODY_BYTES: '2048' });
    const body = JSON.stringify({ query: `{ __typename } # ${'x'.repeat(4000)}` });
    // A stream, so no Content-Length announces the size: the app itself must count.
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(body));
        controller.close();
      },
    });
    const response = await gateway.gateway.app.fetch(
      new Request('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: stream,
        duplex: 'half',
      } as RequestInit),
    );
    expect(response.status).toBe(413);
    const small = await gateway.gateway.app.fetch(
      new Request('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      }),
    );
    expect(await small.json()).toMatchObject({ data: { __typename: 'Query' } });
  });

  it('answers 413 to a chunked body that grows past MAX_BODY_BYTES', async () => {
    await start({ MAX_BODY_BYTES: '2048' });
    const url = new URL(gateway.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 10; i += 1) req.write('x'.repeat(1024));
      req.end();
    });
    expect(status).toBe(413);
  });
});

describe('introspection', () => {
  it('lets the full introspection query GraphiQL and codegen send through the default limits', async () => {
    await start();
    const result = await gateway.post({
      query: getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, inputValueDeprecation: true }),
    });
    expect(result.errors).toBeUndefined();
    expect(result.data).toHaveProperty('__schema.queryType.name', 'Query');
  });

  it('can be turned off, while _service stays available to routers', async () => {
    await start({ INTROSPECTION: 'false' });
    const introspection = await gateway.post({ query: '{ __schema { queryType { name } } }' });
    expect(introspection.errors?.[0]?.message).toMatch(/introspection/i);
    const service = await gateway.post({ query: '{ _service { sdl } }' });
    expect(service.errors).toBeUndefined();
  });
});

describe('trusted documents', () => {
  it('runs only the operations in TRUSTED_DOCUMENTS_FILE', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trusted-'));
    const file = join(dir, 'manifest.json');
    const typenameId = createHash('sha256').update('{ __typename }').digest('hex');
    await writeFile(file, JSON.stringify({ [typenameId]: '{ __typename }' }));
    await start({ TRUSTED_DOCUMENTS_FILE: file });

    const byId = (id: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: id } } });
    const trusted = await gateway.post(byId(typenameId));
    expect(trusted.data).toEqual({ __typename: 'Query' });
    const arbitrary = await gateway.post({ query: '{ __typename }' });
    expect(arbitrary.errors?.[0]?.message).toMatch(/only trusted documents run here/i);
    const unknown = await gateway.post(byId('not-in-the-manifest'));
    expect(unknown.errors?.[0]?.message).toMatch(/not on the list of trusted documents/i);
  });
});
