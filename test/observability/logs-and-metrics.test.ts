/**
 * Operating the gateway: a request id on every response, error and log line; one access-log line
 * per operation; Prometheus metrics on `/metrics` (or on METRICS_PORT). Each scenario checks what
 * the caller saw, what the logs or metrics say, and what Elastic Path received.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { print } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AccountMemberDocument, AccountMembersDocument } from '../gql/graphql.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ACCOUNT_ID, MEMBER_ID, TOKEN } from '../support/ids.js';
import { epError, memberBody } from '../support/bodies.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';
import { useScriptedGateway } from '../support/scripted-gateway.js';

/** A request id the gateway makes: a random (version 4) UUID, a stricter shape than an Elastic Path id. */
const RANDOM_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MEMBER_QUERY = print(AccountMemberDocument);
const MEMBERS_QUERY = print(AccountMembersDocument);
/** Elastic Path answering an account without a name breaks this non-null field: a failure the gateway did not expect. */
const ACCOUNT_NAME_QUERY = 'query AccountName($id: ID!) { account(id: $id) { id name } }';
const NAMELESS_ACCOUNT = { status: 200, json: { data: { id: ACCOUNT_ID, type: 'account' } } };
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

type LogLine = Record<string, unknown>;
interface RawAnswer {
  status: number;
  requestId: string | null;
  body: unknown;
}
interface GraphQLBody {
  data?: unknown;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** A request as a browser or curl would send it, without the helper's checks and clean-up. */
async function raw(target: TestGateway, path: string, init: RequestInit = {}): Promise<RawAnswer> {
  const response = await fetch(`${target.url}${path}`, init);
  const text = await response.text();
  let body: unknown = text;
  if (text !== '' && /json/.test(response.headers.get('content-type') ?? '')) body = JSON.parse(text);
  return { status: response.status, requestId: response.headers.get('x-request-id'), body };
}

const graphql = (target: TestGateway, body: unknown, headers: Record<string, string> = {}) =>
  raw(target, '/graphql', { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) });

function logLines(target: TestGateway, from = 0): LogLine[] {
  return target.logs
    .slice(from)
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogLine);
}

const accessLines = (target: TestGateway, requestId: string) =>
  logLines(target).filter((line) => line.msg === 'operation' && line.requestId === requestId);

/** Every top-level error of a response body (or of each response of a batch). */
function errorsOf(body: unknown): NonNullable<GraphQLBody['errors']> {
  const bodies = (Array.isArray(body) ? body : [body]) as GraphQLBody[];
  return bodies.flatMap((one) => one.errors ?? []);
}

/** The gateway's log and metrics must never show these: they are the caller's secrets and data. */
const EMAIL = 'leslie.knope@pawnee.example';
const TOKEN_SECRET = TOKEN.replace(/^Bearer\s+/, '');

let upstream: ScriptedUpstream;
let gateway: TestGateway;

useScriptedGateway({ env: { MAX_BODY_BYTES: '2048', EP_API_RETRY_BASE_MS: '1' } }, (started) => ({ upstream, gateway } = started));

describe('request ids', () => {
  /** Each kind of request the gateway answers, sent with the given extra headers. */
  const requests: Array<[string, number, (headers: Record<string, string>) => Promise<RawAnswer>]> = [
    ['a GraphQL POST', 200, (headers) => graphql(gateway, { query: '{ __typename }' }, headers)],
    ['GET /health', 200, (headers) => raw(gateway, '/health', { headers })],
    ['GET /readiness', 200, (headers) => raw(gateway, '/readiness', { headers })],
    ['GET /metrics', 200, (headers) => raw(gateway, '/metrics', { headers })],
    ['an unknown path', 404, (headers) => raw(gateway, '/nowhere', { headers })],
    [
      'a body that is not JSON',
      400,
      (headers) => raw(gateway, '/graphql', { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body: '{"query": ' }),
    ],
    ['a body over MAX_BODY_BYTES', 413, (headers) => graphql(gateway, { query: `{ __typename } # ${'x'.repeat(4096)}` }, headers)],
    [
      'a body over MAX_BODY_BYTES sent in chunks, without a length',
      413,
      (headers) => {
        const bytes = new TextEncoder().encode(JSON.stringify({ query: `{ __typename } # ${'x'.repeat(4096)}` }));
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(bytes.slice(0, 1000));
            controller.enqueue(bytes.slice(1000));
            controller.close();
          },
        });
        return raw(gateway, '/graphql', { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body, duplex: 'half' } as RequestInit);
      },
    ],
    [
      'a batch of two operations',
      200,
      (headers) => graphql(gateway, [{ query: '{ __typename }' }, { query: 'query Two { __typename }' }], headers),
    ],
  ];

  it.each(requests)("answers %s with the caller's x-request-id", async (_kind, status, send) => {
    const answer = await send({ 'x-request-id': 'caller-chosen.id:1' });
    expect(answer.status).toBe(status);
    expect(answer.requestId).toBe('caller-chosen.id:1');
  });

  it.each(requests)('answers %s with a new UUID when the caller sends no id', async (_kind, status, send) => {
    const first = await send({});
    const second = await send({});
    expect(first.status).toBe(status);
    expect(first.requestId).toMatch(RANDOM_UUID);
    expect(second.requestId).toMatch(RANDOM_UUID);
    expect(second.requestId).not.toBe(first.requestId);
  });

  it.each([
    ['one character', 'a'],
    ['128 characters', `${'A1._:-'.repeat(21)}ab`],
    ['a UUID', '0b7f8c2e-1d3a-4a8e-9c55-2f0e6a7b9d10'],
    ['a W3C-style trace id', '4bf92f3577b34da6a3ce929d0e0e4736'],
  ])('keeps a well-formed id (%s) and logs the operation under it', async (_kind, id) => {
    expect(id.length).toBeLessThanOrEqual(128);
    const answer = await graphql(gateway, { query: 'query KeepId { __typename }' }, { 'x-request-id': id });
    expect(answer.requestId).toBe(id);
    expect(accessLines(gateway, id)).toHaveLength(1);
  });

  it.each([
    ['129 characters', 'a'.repeat(129)],
    ['a space', 'two words'],
    ['a character outside [A-Za-z0-9._:-]', 'a<script>'],
    ['a slash', 'a/b'],
    ['an empty value', ''],
  ])('replaces an id with %s by a new UUID, on the response, its errors and its log line', async (_kind, id) => {
    const from = gateway.logs.length;
    const answer = await graphql(gateway, { query: '{ nope }' }, { 'x-request-id': id });
    expect(answer.requestId).toMatch(RANDOM_UUID);
    expect(errorsOf(answer.body).map((error) => error.extensions?.requestId)).toEqual([answer.requestId]);
    const lines = logLines(gateway, from);
    expect(lines.filter((line) => line.msg === 'operation').map((line) => line.requestId)).toEqual([answer.requestId]);
    if (id !== '') expect(gateway.logs.slice(from).join('')).not.toContain(id);
  });

  it('replaces a malformed id on a 413 too', async () => {
    const answer = await graphql(gateway, { query: `{ __typename } # ${'x'.repeat(4096)}` }, { 'x-request-id': 'bad id' });
    expect(answer.status).toBe(413);
    expect(answer.requestId).toMatch(RANDOM_UUID);
    expect(errorsOf(answer.body)).toEqual([
      expect.objectContaining({ extensions: { code: 'PAYLOAD_TOO_LARGE', requestId: answer.requestId } }),
    ]);
  });

  it('writes the request id on every log line of the request', async () => {
    // The error line of a masked failure (with its stack) is a line of the request too.
    upstream.reply(NAMELESS_ACCOUNT);
    const from = gateway.logs.length;
    const answer = await graphql(
      gateway,
      { query: ACCOUNT_NAME_QUERY, variables: { id: ACCOUNT_ID } },
      {
        authorization: TOKEN,
        'x-request-id': 'every-line-1',
      },
    );
    expect(errorsOf(answer.body).map((error) => error.message)).toContain('Unexpected error.');
    const lines = logLines(gateway, from);
    expect(lines.map((line) => line.level)).toEqual(expect.arrayContaining([30, 50]));
    for (const line of lines) expect(line).toHaveProperty('requestId', 'every-line-1');
  });

  describe('extensions.requestId on top-level errors', () => {
    it.each<[string, () => Promise<RawAnswer>, string]>([
      ['a syntax error', () => graphql(gateway, { query: '{ accountMember(' }, { 'x-request-id': 'syntax-1' }), 'GRAPHQL_PARSE_FAILED'],
      ['a validation error', () => graphql(gateway, { query: '{ nope }' }, { 'x-request-id': 'invalid-1' }), 'GRAPHQL_VALIDATION_FAILED'],
      [
        'a body that is not JSON',
        () => raw(gateway, '/graphql', { method: 'POST', headers: { ...JSON_HEADERS, 'x-request-id': 'json-1' }, body: '{' }),
        'BAD_REQUEST',
      ],
      ['a missing query', () => graphql(gateway, { variables: {} }, { 'x-request-id': 'missing-1' }), 'BAD_REQUEST'],
      [
        'a field error (no token)',
        () => graphql(gateway, { query: MEMBER_QUERY, variables: { id: MEMBER_ID } }, { 'x-request-id': 'field-1' }),
        'UNAUTHENTICATED',
      ],
    ])('carries it on %s', async (_kind, send, code) => {
      const answer = await send();
      const errors = errorsOf(answer.body);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors[0]?.extensions?.code).toBe(code);
      for (const error of errors) expect(error.extensions?.requestId).toBe(answer.requestId);
      expect(answer.requestId).toMatch(/-1$/);
    });

    it('carries it on a masked "Unexpected error."', async () => {
      upstream.reply(NAMELESS_ACCOUNT);
      const answer = await graphql(
        gateway,
        { query: ACCOUNT_NAME_QUERY, variables: { id: ACCOUNT_ID } },
        {
          authorization: TOKEN,
          'x-request-id': 'masked-1',
        },
      );
      const errors = errorsOf(answer.body);
      expect(errors).toEqual([
        expect.objectContaining({ message: 'Unexpected error.', extensions: expect.objectContaining({ requestId: 'masked-1' }) }),
      ]);
      expect(upstream.received).toHaveLength(1);
    });

    it('carries it on every error of every operation in a batch', async () => {
      const answer = await graphql(gateway, [{ query: '{ nope }' }, { query: '{ alsoNope }' }], { 'x-request-id': 'batch-1' });
      const errors = errorsOf(answer.body);
      expect(errors).toHaveLength(2);
      for (const error of errors) expect(error.extensions?.requestId).toBe('batch-1');
    });

    it("never hands one request's id to another that sent the same invalid document", async () => {
      // Yoga caches validation errors per document: the same error objects serve every request.
      const query = '{ cachedNope }';
      const first = await graphql(gateway, { query }, { 'x-request-id': 'cached-1' });
      const second = await graphql(gateway, { query }, { 'x-request-id': 'cached-2' });
      const third = await graphql(gateway, { query });
      const concurrent = await Promise.all(
        ['cached-3', 'cached-4', 'cached-5'].map((id) => graphql(gateway, { query }, { 'x-request-id': id })),
      );
      expect(errorsOf(first.body).map((error) => error.extensions?.requestId)).toEqual(['cached-1']);
      expect(errorsOf(second.body).map((error) => error.extensions?.requestId)).toEqual(['cached-2']);
      expect(errorsOf(third.body).map((error) => error.extensions?.requestId)).toEqual([third.requestId]);
      expect(third.requestId).toMatch(RANDOM_UUID);
      expect(concurrent.map((answer) => errorsOf(answer.body)[0]?.extensions?.requestId)).toEqual(['cached-3', 'cached-4', 'cached-5']);
    });
  });
});

describe('access log', () => {
  it('writes one line per operation: who, what, how it went and what it cost Elastic Path', async () => {
    upstream.reply({ status: 503, json: epError('503', 'Service Unavailable') }, { status: 200, json: memberBody() });
    const answer = await graphql(
      gateway,
      { query: MEMBER_QUERY, variables: { id: MEMBER_ID } },
      {
        authorization: TOKEN,
        'x-request-id': 'access-1',
        'graphql-client-name': 'storefront',
        'graphql-client-version': '2.4.1',
      },
    );
    expect(answer.status).toBe(200);
    expect(errorsOf(answer.body)).toEqual([]);
    expect(upstream.received.map((request) => `${request.method} ${request.rawUrl}`)).toEqual([
      `GET /v2/account-members/${MEMBER_ID}`,
      `GET /v2/account-members/${MEMBER_ID}`,
    ]);

    expect(accessLines(gateway, 'access-1')).toEqual([
      {
        level: 30,
        time: expect.any(Number),
        service: 'ep-account-membership-gateway',
        msg: 'operation',
        requestId: 'access-1',
        clientName: 'storefront',
        clientVersion: '2.4.1',
        status: 200,
        durationMs: expect.any(Number),
        operationName: 'AccountMember',
        operationType: 'query',
        documentHash: sha256(MEMBER_QUERY),
        upstreamCalls: 1,
        upstreamRetries: 1,
        estimatedCalls: 1,
        errorCodes: [],
      },
    ]);
  });

  it('logs an operation whose caller left before the answer with status 499, not the status it was never sent', async () => {
    upstream.reply({ hang: true });
    const leaving = new AbortController();
    const asked = fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      signal: leaving.signal,
      headers: { 'content-type': 'application/json', authorization: TOKEN, 'x-request-id': 'left-1' },
      body: JSON.stringify({ query: MEMBER_QUERY, variables: { id: MEMBER_ID } }),
    }).then(
      () => 'answered',
      () => 'left',
    );
    await upstream.whenReceived(1);
    leaving.abort();
    expect(await asked).toBe('left');
    const line = await gateway.whenLogged((logged) => logged.msg === 'operation' && logged.requestId === 'left-1');
    expect(line).toMatchObject({ status: 499, operationName: 'AccountMember', upstreamCalls: 1 });
  });

  it('takes the client name and version from the apollographql-client-* headers too', async () => {
    await graphql(
      gateway,
      { query: 'query Apollo { __typename }' },
      {
        'x-request-id': 'apollo-client-1',
        'apollographql-client-name': 'ios-app',
        'apollographql-client-version': '7.0.0',
      },
    );
    expect(accessLines(gateway, 'apollo-client-1')).toEqual([
      expect.objectContaining({ clientName: 'ios-app', clientVersion: '7.0.0', upstreamCalls: 0, upstreamRetries: 0 }),
    ]);
  });

  it('lists the error codes of a failed operation, which Elastic Path answered once', async () => {
    upstream.reply({ status: 401, json: epError('401', 'Unauthorized') });
    await graphql(gateway, { query: MEMBER_QUERY, variables: { id: MEMBER_ID } }, { authorization: TOKEN, 'x-request-id': 'codes-1' });
    expect(upstream.received).toHaveLength(1);
    expect(accessLines(gateway, 'codes-1')).toEqual([
      expect.objectContaining({
        operationName: 'AccountMember',
        status: 200,
        upstreamCalls: 1,
        upstreamRetries: 0,
        errorCodes: ['UNAUTHENTICATED'],
      }),
    ]);
  });

  it('lists the code of a syntax error', async () => {
    const query = 'query Unparsable { accountMember(';
    await graphql(gateway, { query }, { 'x-request-id': 'syntax-log-1' });
    expect(accessLines(gateway, 'syntax-log-1')).toEqual([
      expect.objectContaining({ operationName: 'anonymous', documentHash: sha256(query), errorCodes: ['GRAPHQL_PARSE_FAILED'] }),
    ]);
  });

  it('names, types and lists the codes of an operation that fails validation', async () => {
    const query = 'query Broken { nope alsoNope }';
    await graphql(gateway, { query }, { 'x-request-id': 'invalid-log-1' });
    expect(accessLines(gateway, 'invalid-log-1')).toEqual([
      expect.objectContaining({
        operationName: 'Broken',
        operationType: 'query',
        documentHash: sha256(query),
        errorCodes: ['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_VALIDATION_FAILED'],
      }),
    ]);
  });

  it('lists the code of a masked failure as INTERNAL_SERVER_ERROR', async () => {
    upstream.reply(NAMELESS_ACCOUNT);
    await graphql(
      gateway,
      { query: ACCOUNT_NAME_QUERY, variables: { id: ACCOUNT_ID } },
      { authorization: TOKEN, 'x-request-id': 'masked-log-1' },
    );
    expect(upstream.received).toHaveLength(1);
    expect(accessLines(gateway, 'masked-log-1')).toEqual([
      expect.objectContaining({ operationName: 'AccountName', upstreamCalls: 1, errorCodes: ['INTERNAL_SERVER_ERROR'] }),
    ]);
  });

  it('writes a line for a request refused before any operation, with its code', async () => {
    const answer = await raw(gateway, '/graphql', { method: 'POST', headers: { ...JSON_HEADERS, 'x-request-id': 'refused-1' }, body: '{' });
    expect(answer.status).toBe(400);
    expect(accessLines(gateway, 'refused-1')).toEqual([
      expect.objectContaining({ status: 400, upstreamCalls: 0, upstreamRetries: 0, errorCodes: ['BAD_REQUEST'] }),
    ]);
  });

  it('writes a line for an operation of a batch turned away before it parsed, beside the others', async () => {
    await graphql(gateway, [{ query: 'query Fine { __typename }' }, { variables: {} }], { 'x-request-id': 'batch-refused-1' });
    const lines = accessLines(gateway, 'batch-refused-1');
    expect(lines).toHaveLength(2);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ operationName: 'Fine', errorCodes: [] }),
        expect.objectContaining({ errorCodes: ['BAD_REQUEST'] }),
      ]),
    );
  });

  it('writes two lines sharing one request id for a batch of two operations', async () => {
    upstream.reply({ status: 200, json: memberBody() });
    const answer = await graphql(
      gateway,
      [{ query: MEMBER_QUERY, variables: { id: MEMBER_ID } }, { query: 'query Second { __typename }' }],
      { authorization: TOKEN, 'x-request-id': 'batch-log-1' },
    );
    expect(answer.status).toBe(200);
    expect(upstream.received).toHaveLength(1);
    const lines = accessLines(gateway, 'batch-log-1');
    expect(lines).toHaveLength(2);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ operationName: 'AccountMember', operationType: 'query', upstreamCalls: 1, errorCodes: [] }),
        expect.objectContaining({ operationName: 'Second', operationType: 'query', upstreamCalls: 0, errorCodes: [] }),
      ]),
    );
  });

  it('names operations by operationName, shows anonymous ones as anonymous and odd names as invalid', async () => {
    await graphql(gateway, { query: 'query A { __typename } query B { __typename }', operationName: 'B' }, { 'x-request-id': 'named-1' });
    await graphql(gateway, { query: '{ __typename }' }, { 'x-request-id': 'named-2' });
    await graphql(gateway, { query: '{ __typename }', operationName: `${EMAIL} <x>` }, { 'x-request-id': 'named-3' });
    expect(accessLines(gateway, 'named-1')).toEqual([expect.objectContaining({ operationName: 'B', operationType: 'query' })]);
    expect(accessLines(gateway, 'named-2')).toEqual([expect.objectContaining({ operationName: 'anonymous', operationType: 'query' })]);
    expect(accessLines(gateway, 'named-3')).toEqual([expect.objectContaining({ operationName: 'invalid' })]);
  });

  it('never writes the token or the variables', async () => {
    upstream.reply({
      status: 200,
      json: {
        data: [{ id: MEMBER_ID, type: 'account_member', name: 'Leslie Knope', email: EMAIL }],
        meta: { page: { limit: 25, offset: 0, current: 1, total: 1 }, results: { total: 1 } },
      },
    });
    const from = gateway.logs.length;
    const answer = await graphql(
      gateway,
      { query: MEMBERS_QUERY, variables: { filter: { email: EMAIL } } },
      {
        authorization: TOKEN,
        'ep-account-management-authentication-token': 'account-token-ab12cd34ef',
        'x-request-id': 'private-1',
      },
    );
    expect(errorsOf(answer.body)).toEqual([]);
    // Elastic Path did receive both: they are the point of the call.
    expect(decodeURIComponent(upstream.received[0]?.rawUrl ?? '')).toContain(EMAIL);
    expect(upstream.received[0]?.headers.authorization).toBe(TOKEN);

    expect(accessLines(gateway, 'private-1')).toHaveLength(1);
    const written = gateway.logs.slice(from).join('');
    expect(written).not.toContain(TOKEN_SECRET);
    expect(written).not.toContain('account-token-ab12cd34ef');
    expect(written).not.toContain(EMAIL);
    expect(written).not.toContain('pawnee');
    expect(written).not.toContain('Leslie');
  });

  it('writes no line for requests that carry no operation', async () => {
    const from = gateway.logs.length;
    for (const path of ['/health', '/readiness', '/metrics', '/nowhere']) {
      await raw(gateway, path, { headers: { 'x-request-id': 'no-operation-1' } });
    }
    await raw(gateway, '/graphql', {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST', 'x-request-id': 'no-operation-1' },
    });
    expect(logLines(gateway, from).filter((line) => line.msg === 'operation')).toEqual([]);
  });
});

describe('access log of trusted documents', () => {
  const TYPENAME = 'query Typename { __typename }';
  const typenameId = sha256(TYPENAME);
  let trusted: TestGateway;
  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trusted-'));
    const file = join(dir, 'manifest.json');
    await writeFile(file, JSON.stringify({ [typenameId]: TYPENAME }));
    trusted = await startGateway({ upstreamUrl: upstream.url, env: { TRUSTED_DOCUMENTS_FILE: file } });
  });
  afterAll(() => trusted.close());

  it('names the modes in force on the start-up line, the trusted documents with their count', () => {
    const listening = logLines(trusted).find((line) => line.msg === 'gateway listening');
    expect(listening?.modes).toEqual({
      trustedDocuments: 'enforce, 1 document',
      cors: '*',
      introspection: true,
      graphiql: false,
      httpFastPath: process.env.HTTP_FAST_PATH !== 'false',
      quota: 'in process, 100000/s',
      webhook: 'off',
      membershipEvents: 'in process',
    });
  });

  it('hashes a trusted document by its id', async () => {
    const answer = await graphql(
      trusted,
      { extensions: { persistedQuery: { version: 1, sha256Hash: typenameId } } },
      {
        'x-request-id': 'trusted-1',
      },
    );
    expect(answer.body).toEqual({ data: { __typename: 'Query' }, extensions: { cost: { estimated: 0, actual: 0 } } });
    expect(accessLines(trusted, 'trusted-1')).toEqual([
      expect.objectContaining({ operationName: 'Typename', operationType: 'query', documentHash: typenameId, errorCodes: [] }),
    ]);
  });

  it('hashes a document named by documentId, in a GET query string too, by its id', async () => {
    await graphql(trusted, { documentId: `sha256:${typenameId}` }, { 'x-request-id': 'trusted-3' });
    const answer = await raw(trusted, `/graphql?documentId=${typenameId}`, {
      headers: { 'x-request-id': 'trusted-4', 'x-graphql-yoga-csrf': '1', accept: 'application/json' },
    });
    expect(answer.status).toBe(200);
    for (const requestId of ['trusted-3', 'trusted-4']) {
      expect(accessLines(trusted, requestId)).toEqual([expect.objectContaining({ operationName: 'Typename', documentHash: typenameId })]);
    }
  });

  it('logs a document that is not on the list, with its code', async () => {
    await graphql(trusted, { extensions: { persistedQuery: { version: 1, sha256Hash: 'not-listed' } } }, { 'x-request-id': 'trusted-2' });
    expect(accessLines(trusted, 'trusted-2')).toEqual([expect.objectContaining({ errorCodes: ['PERSISTED_QUERY_NOT_FOUND'] })]);
  });

  it('hashes the text that ran, not an id the caller claims, when trusted documents are off', async () => {
    const query = 'query Claimed { __typename }';
    await graphql(
      gateway,
      { query, extensions: { persistedQuery: { version: 1, sha256Hash: 'typename-v1' } } },
      {
        'x-request-id': 'claimed-1',
      },
    );
    expect(accessLines(gateway, 'claimed-1')).toEqual([expect.objectContaining({ documentHash: sha256(query) })]);
  });
});

// ---------------------------------------------------------------------------------------------
// Metrics

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Exposition {
  text: string;
  types: Map<string, string>;
  samples: Sample[];
}

/** Just enough of the Prometheus text format: `# TYPE` lines and `name{labels} value` samples. */
function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line === '' || line.startsWith('#')) continue;
    const sample = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!sample) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[name!] = value!;
    samples.push({ name: sample[1]!, labels, value: Number(sample[3]) });
  }
  return { text, types, samples };
}

/** The sum of the samples of `name` whose labels include `labels`; undefined when there is none. */
function metricValue(metrics: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const matching = metrics.samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  return matching.length === 0 ? undefined : matching.reduce((sum, sample) => sum + sample.value, 0);
}

async function scrape(url: string): Promise<Exposition> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

describe('metrics', () => {
  let metricsUpstream: ScriptedUpstream;
  let target: TestGateway;
  /** Run after each test, last first: the gateway closes before its upstream. */
  let cleanups: Array<() => Promise<void> | void> = [];

  async function start(env: Record<string, string> = {}) {
    metricsUpstream = await startScriptedUpstream();
    const started = metricsUpstream;
    cleanups.push(
      () => started.close(),
      () => started.verify(),
    );
    await startOn(metricsUpstream.url, env);
  }
  async function startOn(upstreamUrl: string, env: Record<string, string> = {}) {
    target = await startGateway({ upstreamUrl, env: { EP_API_RETRY_BASE_MS: '1', ...env } });
    cleanups.push(() => target.close());
  }
  afterEach(async () => {
    const pending = cleanups.reverse();
    cleanups = [];
    for (const cleanup of pending) await cleanup();
  });

  const readMember = (headers: Record<string, string> = {}) =>
    graphql(target, { query: MEMBER_QUERY, variables: { id: MEMBER_ID } }, { authorization: TOKEN, ...headers });

  it('serves the Prometheus text format at /metrics, with every metric the gateway keeps and the process metrics', async () => {
    await start();
    const metrics = await scrape(`${target.url}/metrics`);
    expect(Object.fromEntries([...metrics.types].filter(([name]) => !/^(process|nodejs)_/.test(name)))).toEqual({
      graphql_operations_total: 'counter',
      graphql_operation_duration_seconds: 'histogram',
      graphql_operation_upstream_calls: 'histogram',
      graphql_errors_total: 'counter',
      graphql_reconciliations_total: 'counter',
      http_fast_path_requests_total: 'counter',
      upstream_requests_total: 'counter',
      upstream_request_duration_seconds: 'histogram',
      upstream_retries_total: 'counter',
      upstream_refused_total: 'counter',
      upstream_breaker_state: 'gauge',
      upstream_in_flight: 'gauge',
      upstream_queued: 'gauge',
      upstream_quota_wait_seconds: 'histogram',
      upstream_quota_starts_total: 'counter',
      upstream_quota_held_total: 'counter',
      upstream_quota_refused_total: 'counter',
      upstream_quota_cooldowns_total: 'counter',
      upstream_quota_mode: 'gauge',
      upstream_quota_replicas: 'gauge',
      membership_events_total: 'counter',
      webhook_deliveries_total: 'counter',
      graphql_subscriptions_ended_total: 'counter',
      graphql_subscriptions_open: 'gauge',
    });
    expect(metricValue(metrics, 'graphql_subscriptions_open')).toBe(0);
    expect(metrics.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(metrics.types.get('process_resident_memory_bytes')).toBe('gauge');
    expect(metrics.types.get('nodejs_heap_size_used_bytes')).toBe('gauge');
    expect(metrics.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    // CPU since the registry's first collection: a finite count, possibly 0 on the very first scrape.
    expect(metricValue(metrics, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(metricValue(metrics, 'upstream_breaker_state')).toBe(0);
    expect(metricValue(metrics, 'upstream_in_flight')).toBe(0);
    expect(metricValue(metrics, 'upstream_queued')).toBe(0);
  });

  it('shows the rate quota: local without Redis, each start by kind, and a 429 pause', async () => {
    await start();
    const before = await scrape(`${target.url}/metrics`);
    expect(metricValue(before, 'upstream_quota_mode')).toBe(0);
    expect(metricValue(before, 'upstream_quota_replicas')).toBe(1);
    metricsUpstream.reply({ status: 429, json: epError('429', 'Too Many Requests') }, { status: 200, json: memberBody() });
    await readMember();
    const after = await scrape(`${target.url}/metrics`);
    // The read and its retry after the 429, which waited out the pause it set.
    expect(metricValue(after, 'upstream_quota_starts_total', { kind: 'interactive' })).toBe(2);
    expect(metricValue(after, 'upstream_quota_starts_total', { kind: 'bulk' }) ?? 0).toBe(0);
    expect(metricValue(after, 'upstream_quota_cooldowns_total')).toBe(1);
    expect(metricValue(after, 'upstream_quota_held_total', { reason: 'cooldown' })).toBe(1);
    expect(metricValue(after, 'upstream_quota_wait_seconds_count', { kind: 'interactive' })).toBe(2);
  });

  it('counts an operation estimated above EP_API_BULK_ESTIMATE_CALLS as bulk work', async () => {
    await start({ EP_API_BULK_ESTIMATE_CALLS: '0' });
    metricsUpstream.reply({ status: 200, json: memberBody() });
    await readMember();
    const metrics = await scrape(`${target.url}/metrics`);
    expect(metricValue(metrics, 'upstream_quota_starts_total', { kind: 'bulk' })).toBe(1);
    expect(metricValue(metrics, 'upstream_quota_starts_total', { kind: 'interactive' }) ?? 0).toBe(0);
  });

  it('counts operations by name, type and outcome, and times them', async () => {
    await start();
    metricsUpstream.reply({ status: 200, json: memberBody() }, { status: 401, json: epError('401', 'Unauthorized') });
    await readMember();
    await readMember();
    await graphql(target, { query: 'mutation Nothing { __typename }' });
    await graphql(target, { query: '{ __typename }' });
    await graphql(target, { query: 'query Broken { nope }' });
    await graphql(target, { query: 'query Unparsable {' });

    const metrics = await scrape(`${target.url}/metrics`);
    const operations = (labels: Record<string, string>) => metricValue(metrics, 'graphql_operations_total', labels);
    expect(operations({ operation_name: 'AccountMember', operation_type: 'query', outcome: 'success' })).toBe(1);
    expect(operations({ operation_name: 'AccountMember', operation_type: 'query', outcome: 'error' })).toBe(1);
    expect(operations({ operation_name: 'Nothing', operation_type: 'mutation', outcome: 'success' })).toBe(1);
    expect(operations({ operation_name: 'anonymous', operation_type: 'query', outcome: 'success' })).toBe(1);
    // Typed from its document, but not named by it: it failed validation.
    expect(operations({ operation_name: 'invalid', operation_type: 'query', outcome: 'error' })).toBe(1);
    // A document that does not parse says nothing of itself.
    expect(operations({ operation_name: 'invalid', operation_type: 'unknown', outcome: 'error' })).toBe(1);
    expect(operations({ operation_name: 'Broken' })).toBeUndefined();
    expect(operations({})).toBe(6);

    const member = { operation_name: 'AccountMember', operation_type: 'query', outcome: 'success' };
    expect(metricValue(metrics, 'graphql_operation_duration_seconds_count', member)).toBe(1);
    expect(metricValue(metrics, 'graphql_operation_duration_seconds_sum', member)).toBeGreaterThan(0);
    expect(metricValue(metrics, 'graphql_operation_duration_seconds_bucket', { ...member, le: '+Inf' })).toBe(1);
    expect(metricValue(metrics, 'graphql_operation_duration_seconds_count', {})).toBe(6);
  });

  it('observes in graphql_operation_upstream_calls the Elastic Path calls each operation made', async () => {
    await start();
    metricsUpstream.always({ status: 200, json: memberBody() });
    const ids = ['1', '2', '3'].map((last) => MEMBER_ID.replace(/.$/, last));
    const three = await graphql(
      target,
      {
        query: `query ThreeMembers { ${ids.map((id, index) => `m${index}: accountMember(id: "${id}") { name }`).join(' ')} }`,
      },
      { authorization: TOKEN },
    );
    expect(three.status).toBe(200);
    await graphql(target, { query: 'query NoCalls { __typename }' });
    expect(metricsUpstream.received).toHaveLength(3);

    const metrics = await scrape(`${target.url}/metrics`);
    const calls = (name: string, suffix: string, labels: Record<string, string> = {}) =>
      metricValue(metrics, `graphql_operation_upstream_calls_${suffix}`, { operation_name: name, operation_type: 'query', ...labels });
    expect([calls('ThreeMembers', 'count'), calls('ThreeMembers', 'sum')]).toEqual([1, 3]);
    // In the buckets: not at or under 2, at or under 5.
    expect([calls('ThreeMembers', 'bucket', { le: '2' }), calls('ThreeMembers', 'bucket', { le: '5' })]).toEqual([0, 1]);
    expect([calls('NoCalls', 'count'), calls('NoCalls', 'sum'), calls('NoCalls', 'bucket', { le: '0' })]).toEqual([1, 0, 1]);
  });

  it('counts top-level errors by code, including requests refused before any operation', async () => {
    await start();
    metricsUpstream.reply({ status: 401, json: epError('401', 'Unauthorized') });
    await readMember();
    await graphql(target, { query: '{ nope }' });
    await graphql(target, { query: '{ accountMember(' });
    await raw(target, '/graphql', { method: 'POST', headers: JSON_HEADERS, body: '{' });

    const metrics = await scrape(`${target.url}/metrics`);
    expect(metricValue(metrics, 'graphql_errors_total', { code: 'UNAUTHENTICATED' })).toBe(1);
    expect(metricValue(metrics, 'graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(metricValue(metrics, 'graphql_errors_total', { code: 'GRAPHQL_PARSE_FAILED' })).toBe(1);
    expect(metricValue(metrics, 'graphql_errors_total', { code: 'BAD_REQUEST' })).toBe(1);
    expect(metricValue(metrics, 'graphql_errors_total')).toBe(4);
  });

  it('counts every upstream attempt by method, route template and status, and the retries', async () => {
    await start();
    metricsUpstream.reply({ status: 503, json: epError('503', 'Service Unavailable') }, { status: 200, json: memberBody() });
    const answer = await readMember();
    expect(errorsOf(answer.body)).toEqual([]);
    expect(metricsUpstream.received.map((request) => request.rawUrl)).toEqual([
      `/v2/account-members/${MEMBER_ID}`,
      `/v2/account-members/${MEMBER_ID}`,
    ]);

    const metrics = await scrape(`${target.url}/metrics`);
    const route = { method: 'GET', route: '/v2/account-members/{accountMemberId}' };
    expect(metricValue(metrics, 'upstream_requests_total', { ...route, status: '503' })).toBe(1);
    expect(metricValue(metrics, 'upstream_requests_total', { ...route, status: '200' })).toBe(1);
    expect(metricValue(metrics, 'upstream_requests_total')).toBe(2);
    expect(metricValue(metrics, 'upstream_request_duration_seconds_count', route)).toBe(2);
    expect(metricValue(metrics, 'upstream_request_duration_seconds_sum', route)).toBeGreaterThan(0);
    expect(metricValue(metrics, 'upstream_retries_total', route)).toBe(1);
    expect(metrics.text).not.toContain(MEMBER_ID);
  });

  it('counts calls refused by the open breaker and shows its state', async () => {
    await start({ EP_API_MAX_ATTEMPTS: '1', EP_API_BREAKER_MIN_CALLS: '1', EP_API_BREAKER_COOLDOWN_MS: '600000' });
    metricsUpstream.reply({ status: 503, json: epError('503', 'Service Unavailable') });
    const failed = await readMember();
    expect(errorsOf(failed.body)[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    const refused = await readMember();
    expect(errorsOf(refused.body)[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(metricsUpstream.received).toHaveLength(1);

    const metrics = await scrape(`${target.url}/metrics`);
    expect(metricValue(metrics, 'upstream_refused_total', { reason: 'breaker_open' })).toBe(1);
    expect(metricValue(metrics, 'upstream_breaker_state')).toBe(2);
    expect(metricValue(metrics, 'upstream_requests_total')).toBe(1);
  });

  it('shows calls in flight and queued, and counts the queued and the turned away', async () => {
    const held = await startHeldUpstream();
    cleanups.push(() => held.close());
    await startOn(held.url, { EP_API_CONNECTIONS: '1', EP_API_QUEUE_LIMIT: '1', EP_API_MAX_ATTEMPTS: '1' });
    // Released before the gateway closes, whatever happens, so its close never waits on them.
    cleanups.push(() => held.release());
    const first = readMember({ 'x-request-id': 'held-1' });
    await held.arrived(1);
    const second = readMember({ 'x-request-id': 'held-2' });
    // Awaited below; only a failed assertion before then leaves them, and the close ends them.
    for (const pending of [first, second]) pending.catch(() => undefined);
    const waiting = await until(target, (metrics) => metricValue(metrics, 'upstream_queued') === 1);
    expect(metricValue(waiting, 'upstream_in_flight')).toBe(1);
    expect(metricValue(waiting, 'upstream_refused_total', { reason: 'queued' })).toBe(1);

    const third = await readMember({ 'x-request-id': 'held-3' });
    expect(errorsOf(third.body)[0]?.extensions?.code).toBe('RATE_LIMITED');

    held.release();
    expect(errorsOf((await first).body)).toEqual([]);
    expect(errorsOf((await second).body)).toEqual([]);
    expect(held.received).toBe(2);

    const after = await scrape(`${target.url}/metrics`);
    expect(metricValue(after, 'upstream_refused_total', { reason: 'queue_full' })).toBe(1);
    expect(metricValue(after, 'upstream_in_flight')).toBe(0);
    expect(metricValue(after, 'upstream_queued')).toBe(0);
    expect(metricValue(after, 'upstream_requests_total', { status: '200' })).toBe(2);
  });

  it('keeps at most METRICS_MAX_OPERATION_NAMES names and counts later ones as other', async () => {
    await start({ METRICS_MAX_OPERATION_NAMES: '2' });
    for (const query of [
      'query First { __typename }',
      'query Second { __typename }',
      'query Third { __typename }',
      'query Fourth { __typename }',
      '{ __typename }',
      'query First { __typename }',
    ]) {
      await graphql(target, { query });
    }
    await graphql(target, { query: '{ __typename }', operationName: 'not a name' });

    const metrics = await scrape(`${target.url}/metrics`);
    const byName: Record<string, number> = {};
    for (const sample of metrics.samples.filter((one) => one.name === 'graphql_operations_total')) {
      const name = sample.labels.operation_name!;
      byName[name] = (byName[name] ?? 0) + sample.value;
    }
    expect(byName).toEqual({ First: 2, Second: 1, other: 2, anonymous: 1, invalid: 1 });
  });

  it('gives names from documents that did not parse or validate no slot: later real operations keep their names', async () => {
    await start({ METRICS_MAX_OPERATION_NAMES: '3' });
    // What anyone can send, without a token: junk that names itself.
    for (let index = 0; index < 5; index += 1) {
      await graphql(target, { query: '{{{', operationName: `JunkName${index}` });
      await graphql(target, { query: `query Junk${index} { nope }` });
    }
    await graphql(target, { query: 'query Real { __typename }' });

    const metrics = await scrape(`${target.url}/metrics`);
    const names = new Set(metrics.samples.filter((one) => one.name === 'graphql_operations_total').map((one) => one.labels.operation_name));
    expect([...names].sort()).toEqual(['Real', 'invalid']);
    expect(metricValue(metrics, 'graphql_operations_total', { operation_name: 'invalid' })).toBe(10);
  });

  it('never shows a token, an email, an id or an operation name the caller made up beyond the bound', async () => {
    await start({ METRICS_MAX_OPERATION_NAMES: '3' });
    metricsUpstream.reply(
      { status: 200, json: memberBody(MEMBER_ID, 'Leslie Knope') },
      { status: 404, json: epError('404', 'Not Found', `account ${ACCOUNT_ID} was not found`) },
      {
        status: 200,
        json: {
          data: [{ id: MEMBER_ID, type: 'account_member', name: 'Leslie Knope', email: EMAIL }],
          meta: { page: { limit: 25, offset: 0, current: 1, total: 1 }, results: { total: 1 } },
        },
      },
    );
    await readMember();
    await graphql(target, { query: ACCOUNT_NAME_QUERY, variables: { id: ACCOUNT_ID } }, { authorization: TOKEN });
    await graphql(target, { query: MEMBERS_QUERY, variables: { filter: { email: EMAIL } } }, { authorization: TOKEN });
    await graphql(target, { query: '{ __typename }', operationName: EMAIL });
    for (let index = 0; index < 5; index += 1) await graphql(target, { query: `query Made${index}Up { __typename }` });

    const metrics = await scrape(`${target.url}/metrics`);
    expect(metricsUpstream.received).toHaveLength(3);
    expect(metricValue(metrics, 'upstream_requests_total', { route: '/v2/accounts/{accountId}', status: '404' })).toBe(1);
    expect(metricValue(metrics, 'upstream_requests_total', { route: '/v2/account-members', status: '200' })).toBe(1);
    for (const secret of [TOKEN_SECRET, EMAIL, 'pawnee', 'Leslie', MEMBER_ID, ACCOUNT_ID, 'Made4Up']) {
      expect(metrics.text).not.toContain(secret);
    }
  });

  it('serves metrics on METRICS_PORT instead, and answers 404 for /metrics on the gateway port', async () => {
    await start({ METRICS_PORT: '0' });
    const listening = logLines(target).find((line) => line.msg === 'gateway listening');
    const metricsUrl = listening?.metricsUrl as string;
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(metricsUrl).port).not.toBe(new URL(target.url).port);

    await graphql(target, { query: 'query Moved { __typename }' });
    const metrics = await scrape(metricsUrl);
    expect(metricValue(metrics, 'graphql_operations_total', { operation_name: 'Moved' })).toBe(1);
    // CPU since the registry's first collection: a finite count, possibly 0 on the very first scrape.
    expect(metricValue(metrics, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);

    expect((await raw(target, '/metrics')).status).toBe(404);
    expect((await fetch(metricsUrl.replace(/\/metrics$/, '/graphql'))).status).toBe(404);
    expect((await fetch(metricsUrl, { method: 'POST' })).status).toBe(404);

    await target.close();
    await expect(fetch(metricsUrl)).rejects.toThrow();
  });
});

/** Polls `/metrics` until the gateway reaches a state (the event is inside it, not on any socket). */
async function until(target: TestGateway, reached: (metrics: Exposition) => boolean): Promise<Exposition> {
  for (;;) {
    const metrics = await scrape(`${target.url}/metrics`);
    if (reached(metrics)) return metrics;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * An Elastic Path that holds every answer until the test releases them, so the gateway's limiter
 * can be seen with a call in flight and another queued.
 */
async function startHeldUpstream() {
  const waiting: Array<() => void> = [];
  const arrivals: Array<{ count: number; resolve: () => void }> = [];
  let received = 0;
  let released = false;
  const server: Server = createServer((req, res) => {
    req.resume();
    received += 1;
    for (const arrival of arrivals) if (received >= arrival.count) arrival.resolve();
    const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(memberBody()));
    if (released) answer();
    else waiting.push(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get received() {
      return received;
    },
    arrived: (count: number) => new Promise<void>((resolve) => (received >= count ? resolve() : arrivals.push({ count, resolve }))),
    release() {
      released = true;
      for (const answer of waiting.splice(0)) answer();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
