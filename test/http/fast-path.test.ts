/**
 * HTTP_FAST_PATH serves `POST /graphql` JSON bodies from node:http straight into Yoga's pipeline;
 * it must answer exactly as the full Yoga handler does. Every case here is sent, the same bytes
 * with the same request id, to a gateway with the fast path and to one without, in front of the
 * same upstream, and the two answers must match in status, headers (but `date`) and body, byte for
 * byte, having made the same Elastic Path calls. `http_fast_path_requests_total` shows that the
 * first gateway served on the fast path exactly the requests it should, and the second none.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator/emulator.js';
import { DEMO, seedDemoData } from '../../src/emulator/seed.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { fastPathServed, rawRequest, startGatewayPair, type GatewayPair, type RawAnswer, type RawRequest } from '../support/fast-path.js';
import { ACCOUNT_ID, TOKEN } from '../support/ids.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';

const { acme, globex } = DEMO.accounts;
const { ron, leslie, april, andy } = DEMO.members;

const SHOP = 'https://shop.example.com';
const ELSEWHERE = 'https://evil.example.net';

/** Small limits, so that each can be crossed by a request under MAX_BODY_BYTES. */
const LIMITS = {
  MAX_DEPTH: '5',
  MAX_ALIASES: '3',
  MAX_TOKENS: '100',
  MAX_MUTATION_FIELDS: '2',
  MAX_UPSTREAM_CALLS: '3',
  BATCH_LIMIT: '2',
  MAX_BODY_BYTES: '2048',
};

interface Case {
  name: string;
  /** Sent in order over one keep-alive connection, each with its own fixed `x-request-id`. */
  requests: RawRequest[];
  /** Whether the fast-path gateway serves these requests on the fast path. */
  fastPath: boolean;
  /** The statuses both gateways answer, one per request. */
  statuses: number[];
}

/** A JSON POST as GraphQL clients send it, with the caller's token unless `headers` drops it. */
const post = (body: unknown, headers: Record<string, string | undefined> = {}, path?: string): RawRequest => ({
  path,
  headers: definedOnly({
    'content-type': 'application/json',
    accept: 'application/graphql-response+json',
    authorization: '{token}',
    ...headers,
  }),
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

function definedOnly(headers: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

const one = (name: string, request: RawRequest, fastPath: boolean, status: number): Case => ({
  name,
  requests: [request],
  fastPath,
  statuses: [status],
});

const MEMBER = `{ accountMember(id: "${ron.id}") { name email } }`;
const CREATE = `mutation { createAccountMembership(accountId: "${globex.id}", accountMemberId: "${andy.id}") {
  __typename ... on AccountMembership { accountId } ... on Error { message } } }`;
const INVALID = '{ nope }';
const create = (alias: string) =>
  `${alias}: createAccountMembership(accountId: "${globex.id}", accountMemberId: "${andy.id}") { __typename }`;
const read = (alias: string, id: string) => `${alias}: accountMember(id: "${id}") { name }`;

const MAIN_CASES: Case[] = [
  one('a query', post({ query: MEMBER }), true, 200),
  {
    name: 'a mutation, then the same mutation again (a conflict)',
    requests: [post({ query: CREATE }), post({ query: CREATE })],
    fastPath: true,
    statuses: [200, 200],
  },
  one('a body that is not JSON', post('{"query": '), false, 400),
  one('an empty body', post(''), false, 400),
  one('a JSON string', post('"x"'), false, 400),
  one('a JSON number', post('1'), false, 400),
  one('JSON null', post('null'), false, 400),
  // Empty, so passed on as bytes, like the bodies above.
  one('an empty JSON array', post('[]'), false, 200),
  one('an empty JSON object', post('{}'), false, 400),
  one('a query that is not a string', post({ query: 1 }), true, 400),
  one('variables that are not an object', post({ query: MEMBER, variables: 'x' }), true, 400),
  one('variables that are an array', post({ query: MEMBER, variables: [] }), true, 400),
  one('extensions that are not an object', post({ query: MEMBER, extensions: 'x' }), true, 400),
  one('an operationName that is not a string', post({ query: MEMBER, operationName: 1 }), true, 400),
  one('an unknown parameter', post({ query: MEMBER, unknown: 1 }), true, 400),
  one('no query', post({ variables: {} }), true, 400),
  one('a parse error', post({ query: '{ accountMember(' }), true, 400),
  one('a validation error', post({ query: INVALID }), true, 400),
  one('an operationName that names no operation', post({ query: MEMBER, operationName: 'Nope' }), true, 400),
  // Each limit. Armor's depth and alias refusals carry no code and the budget's estimate refuses
  // in execution, so those three answer 200 even under application/graphql-response+json.
  one(
    'a query nested deeper than MAX_DEPTH',
    post({ query: `{ account(id: "${acme.id}") { parent { parent { parent { parent { parent { name } } } } } } }` }),
    true,
    400,
  ),
  one(
    'more aliases than MAX_ALIASES',
    post({ query: `{ ${[ron, leslie, april, andy].map((member, index) => read(`m${index}`, member.id)).join(' ')} }` }),
    true,
    400,
  ),
  one('more tokens than MAX_TOKENS', post({ query: `{ ${'__typename '.repeat(120)}}` }), true, 400),
  one(
    'more mutation fields than MAX_MUTATION_FIELDS',
    post({ query: `mutation { ${create('a')} ${create('b')} ${create('c')} }` }),
    true,
    400,
  ),
  one(
    'an estimate over MAX_UPSTREAM_CALLS',
    post({ query: '{ accountMembers(first: 100) { edges { node { memberships(first: 100) { totalCount } } } } }' }),
    true,
    400,
  ),
  one(
    'a batch that spends MAX_UPSTREAM_CALLS while it runs',
    post([{ query: `{ ${read('a', ron.id)} ${read('b', leslie.id)} }` }, { query: `{ ${read('c', april.id)} ${read('d', andy.id)} }` }]),
    true,
    200,
  ),
  one(
    'a query and a variable-driven query in a batch',
    post([{ query: '{ __typename }' }, { query: 'query M($id: ID!) { accountMember(id: $id) { name } }', variables: { id: leslie.id } }]),
    true,
    200,
  ),
  one('a batch over BATCH_LIMIT', post([{ query: '{ __typename }' }, { query: '{ __typename }' }, { query: '{ __typename }' }]), true, 413),
  one('a batch with one bad entry', post([{ query: '{ __typename }' }, { query: 1 }]), true, 200),
  one('a batch with one invalid operation', post([{ query: '{ __typename }' }, { query: INVALID }]), true, 200),
  one('a query without a token', post({ query: MEMBER }, { authorization: undefined }), true, 200),
  one(
    'a query with a token Elastic Path refuses',
    post({ query: MEMBER }, { authorization: 'Bearer not-a-token-elastic-path-issued' }),
    true,
    200,
  ),
  one('a query string on the endpoint', post({ query: MEMBER }, {}, '/graphql?foo=1'), true, 200),
  one(
    'an operation named in operationName among several',
    post({ query: `query A { __typename } query B ${MEMBER}`, operationName: 'B' }),
    true,
    200,
  ),
  one(
    'a mutation named in operationName beside a query',
    post({ query: `query A { __typename } ${CREATE.replace('mutation', 'mutation B')}`, operationName: 'B' }),
    true,
    200,
  ),
  one('an introspection query', post({ query: '{ __schema { queryType { name } } }' }), true, 200),

  // What the caller accepts, for an answer and for a request error (whose status it decides).
  ...(
    [
      ['application/json', true, 200, 200],
      ['application/graphql-response+json', true, 200, 400],
      ['application/graphql-response+json;q=0.9, application/json;q=1', true, 200, 400],
      ['application/json;q=0.5, application/graphql-response+json', true, 200, 200],
      ['application/graphql-response+json; charset=utf-8', true, 200, 400],
      ['*/*', true, 200, 200],
      ['application/*', true, 200, 200],
      [undefined, true, 200, 200],
      ['text/html', true, 406, 406],
      ['text/html, application/xhtml+xml, */*;q=0.8', true, 200, 200],
      ['text/event-stream', false, 200, 200],
      ['multipart/mixed', false, 200, 400],
      ['multipart/mixed; deferSpec=20220824, application/json', false, 200, 200],
    ] as const
  ).flatMap(([accept, fastPath, answered, refused]) => [
    one(`a query accepting ${accept ?? 'anything (no Accept)'}`, post({ query: MEMBER }, { accept }), fastPath, answered),
    one(`a validation error accepting ${accept ?? 'anything (no Accept)'}`, post({ query: INVALID }, { accept }), fastPath, refused),
  ]),

  // The media type of the body: Yoga's JSON parser takes exactly these two, with parameters.
  ...(
    [
      ['application/json; charset=utf-8', true, 200],
      ['application/json;charset=UTF-8', true, 200],
      ['application/graphql+json', true, 200],
      ['application/graphql+json; charset=utf-8', true, 200],
      ['Application/JSON', false, 200],
      ['application/json, text/plain', false, 200],
      ['application/jsonx', false, 415],
      ['text/plain', false, 403],
      ['application/graphql', false, 400],
      [undefined, false, 403],
    ] as const
  ).map(([type, fastPath, status]) =>
    one(`a query sent as ${type ?? 'no Content-Type'}`, post({ query: MEMBER }, { 'content-type': type }), fastPath, status),
  ),

  one('a body over MAX_BODY_BYTES announced by Content-Length', post({ query: `{ __typename } # ${'x'.repeat(3000)}` }), false, 413),
  one(
    'a chunked body that grows past MAX_BODY_BYTES',
    { ...post({ query: `{ __typename } # ${'x'.repeat(3000)}` }), chunked: true },
    false,
    413,
  ),
  one('a chunked body under MAX_BODY_BYTES', { ...post({ query: MEMBER }), chunked: true }, true, 200),
  one('an Origin header (CORS_ORIGINS defaults to any origin outside production)', post({ query: MEMBER }, { origin: SHOP }), true, 200),
  one(
    'a preflight',
    {
      method: 'OPTIONS',
      headers: { origin: SHOP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    },
    false,
    204,
  ),

  // Not for the fast path: other methods, other paths, Yoga's own endpoints.
  one(
    'a query over GET',
    {
      method: 'GET',
      path: `/graphql?query=${encodeURIComponent(MEMBER)}`,
      headers: { accept: 'application/graphql-response+json', authorization: '{token}', 'x-graphql-yoga-csrf': '1' },
    },
    false,
    200,
  ),
  one('a GET for GraphiQL, which is off', { method: 'GET', headers: { accept: 'text/html' } }, false, 406),
  one('a JSON PUT', { ...post({ query: MEMBER }), method: 'PUT' }, false, 405),
  one('a JSON POST to /graphql/, which Yoga serves too', post({ query: MEMBER }, {}, '/graphql/'), false, 200),
  one('a JSON POST to another path', post({ query: MEMBER }, {}, '/other'), false, 404),
  one('a JSON POST to /health', post({ query: MEMBER }, {}, '/health'), false, 200),
  one('GET /health', { method: 'GET', path: '/health' }, false, 200),
  one('GET /readiness', { method: 'GET', path: '/readiness' }, false, 200),
];

let emulator: Emulator;
let upstreamUrl: string;
let token: string;

beforeAll(async () => {
  emulator = createEmulator();
  upstreamUrl = await emulator.listen(0);
  token = `Bearer ${emulator.issueToken()}`;
});
afterAll(() => emulator?.close());

/** Puts the emulator back as it started, so that both gateways find the same data. */
function resetEmulator(): void {
  emulator.store.clear();
  seedDemoData(emulator.store);
  emulator.clearRequests();
}

interface Served {
  answers: RawAnswer[];
  /** How many of the requests the gateway served on the fast path. */
  onFastPath: number;
  upstreamCalls: string[];
}

/** Sends a case's requests to one gateway, each with its request id and the caller's token in place of `{token}`. */
async function serve(gateway: TestGateway, testCase: Case, before: () => void, upstreamCalls: () => string[]): Promise<Served> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    before();
    const from = await fastPathServed(gateway);
    const answers: RawAnswer[] = [];
    for (const [index, request] of testCase.requests.entries()) {
      const headers = Object.fromEntries(
        Object.entries({ ...request.headers, 'x-request-id': `${slug(testCase.name)}-${index + 1}` }).map(([name, value]) => [
          name,
          value === '{token}' ? token : value,
        ]),
      );
      answers.push(await rawRequest(gateway.url, agent, { ...request, headers }));
    }
    return { answers, onFastPath: (await fastPathServed(gateway)) - from, upstreamCalls: upstreamCalls() };
  } finally {
    agent.destroy();
  }
}

const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 100);

/** The answer without `date`, which only says when it was written. */
const comparable = (answer: RawAnswer) => ({
  status: answer.status,
  headers: answer.headers.filter(([name]) => name.toLowerCase() !== 'date').map(([name, value]) => `${name}: ${value}`),
  body: answer.body,
});

/**
 * Sends the case to both gateways (each after `before`), and expects the same answers, byte for
 * byte but `date`, the same upstream calls, the statuses the case names, and the fast path taken
 * for exactly the requests the case says, and only by the fast-path gateway.
 */
async function expectAlike(pair: GatewayPair, testCase: Case, before: () => void, upstreamCalls: () => string[]): Promise<RawAnswer[]> {
  const fast = await serve(pair.fast, testCase, before, upstreamCalls);
  const full = await serve(pair.full, testCase, before, upstreamCalls);
  expect(fast.answers.map(comparable)).toEqual(full.answers.map(comparable));
  expect(fast.upstreamCalls).toEqual(full.upstreamCalls);
  expect({ fast: fast.onFastPath, full: full.onFastPath }).toEqual({ fast: testCase.fastPath ? testCase.requests.length : 0, full: 0 });
  expect(full.answers.map((answer) => answer.status)).toEqual(testCase.statuses);
  return full.answers;
}

const emulatorCalls = () =>
  emulator.requests
    .filter((request) => request.path !== '/oauth/access_token')
    .map((request) => `${request.method} ${request.url} ${request.body}`);

describe('in front of the emulator, with small limits', () => {
  let pair: GatewayPair;
  beforeAll(async () => {
    pair = await startGatewayPair({ upstreamUrl, env: LIMITS });
  });
  afterAll(() => pair?.close());

  it.each(MAIN_CASES)('answers alike: $name', async (testCase) => {
    await expectAlike(pair, testCase, resetEmulator, emulatorCalls);
  });
});

describe('CORS', () => {
  it.each([
    ['CORS_ORIGINS lists it', { CORS_ORIGINS: SHOP }, SHOP, 204],
    ['CORS_ORIGINS does not list it', { CORS_ORIGINS: SHOP }, ELSEWHERE, 204],
    // Not a preflight Yoga's CORS answers: the gateway tells the browser no, as for an unlisted origin.
    ['CORS is off (NODE_ENV=production, no CORS_ORIGINS)', { NODE_ENV: 'production' }, SHOP, 204],
    ['credentials are allowed', { CORS_ORIGINS: SHOP, CORS_CREDENTIALS: 'true' }, SHOP, 204],
  ])('answers an origin alike when %s', async (_when, env, origin, preflightStatus) => {
    const pair = await startGatewayPair({ upstreamUrl, env });
    try {
      for (const testCase of [
        one('cors-query', post({ query: MEMBER }, { origin }), true, 200),
        one('cors-error', post({ query: INVALID }, { origin }), true, 400),
        one(
          'cors-preflight',
          {
            method: 'OPTIONS',
            headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
          },
          false,
          preflightStatus,
        ),
      ]) {
        await expectAlike(pair, testCase, resetEmulator, emulatorCalls);
      }
    } finally {
      await pair.close();
    }
  });
});

describe('trusted documents', () => {
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const LISTED = 'query Member($id: ID!) { accountMember(id: $id) { name } }';
  const listedId = sha256(LISTED);
  const unlistedId = sha256('query Unlisted { __typename }');
  const variables = { id: ron.id };
  let pair: GatewayPair;

  beforeAll(async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'fast-path-')), 'persisted-documents.json');
    await writeFile(file, JSON.stringify({ [`sha256:${listedId}`]: LISTED }));
    pair = await startGatewayPair({ upstreamUrl, env: { TRUSTED_DOCUMENTS_FILE: file } });
  });
  afterAll(() => pair?.close());

  it.each([
    one('a listed documentId', post({ documentId: `sha256:${listedId}`, variables }), true, 200),
    one('a listed sha256Hash', post({ extensions: { persistedQuery: { version: 1, sha256Hash: listedId } }, variables }), true, 200),
    one('an unlisted documentId', post({ documentId: `sha256:${unlistedId}` }), true, 400),
    one(
      'an unlisted sha256Hash, accepting only application/json',
      post({ extensions: { persistedQuery: { version: 1, sha256Hash: unlistedId } } }, { accept: 'application/json' }),
      true,
      200,
    ),
    one('a listed id with another text', post({ documentId: `sha256:${listedId}`, query: '{ __typename }', variables }), true, 200),
    one('an unlisted id with its text', post({ documentId: `sha256:${unlistedId}`, query: 'query Unlisted { __typename }' }), true, 400),
    one('a text without an id', post({ query: LISTED, variables }), true, 400),
    one('a documentId that is not a string', post({ documentId: 42 }), true, 400),
    one(
      'two ids naming different documents',
      post({ documentId: listedId, extensions: { persistedQuery: { version: 1, sha256Hash: unlistedId } } }),
      true,
      400,
    ),
    one('a listed documentId in a batch', post([{ documentId: listedId, variables }, { documentId: unlistedId }]), true, 200),
    one(
      'a listed documentId over GET',
      {
        method: 'GET',
        path: `/graphql?documentId=${listedId}&variables=${encodeURIComponent(JSON.stringify(variables))}`,
        headers: { accept: 'application/graphql-response+json', authorization: '{token}', 'x-graphql-yoga-csrf': '1' },
      },
      false,
      200,
    ),
  ])('answers alike: $name', async (testCase) => {
    await expectAlike(pair, testCase, resetEmulator, emulatorCalls);
  });
});

describe('a failure nobody expected', () => {
  let upstream: ScriptedUpstream;
  let pair: GatewayPair;
  beforeAll(async () => {
    upstream = await startScriptedUpstream();
    pair = await startGatewayPair({ upstreamUrl: upstream.url });
  });
  afterAll(async () => {
    await pair?.close();
    await upstream?.close();
  });

  it('is masked alike as "Unexpected error."', async () => {
    // An account without a name: `Account.name` is non-null, so resolving it fails in a way no
    // code path maps to an error for callers.
    const nameless = { status: 200, json: { data: { id: ACCOUNT_ID, type: 'account', secret_note: 'internal detail' } } };
    upstream.reply(nameless, nameless);
    let seen = 0;
    const calls = () => {
      const since = upstream.received.slice(seen).map((request) => `${request.method} ${request.rawUrl} ${request.body}`);
      seen = upstream.received.length;
      return since;
    };
    // The scripted upstream takes any token: this one is the caller's.
    const testCase = one('masked', post({ query: `{ account(id: "${ACCOUNT_ID}") { id name } }` }, { authorization: TOKEN }), true, 200);
    const [answer] = await expectAlike(pair, testCase, () => {}, calls);
    expect(JSON.parse(answer?.body ?? '')).toMatchObject({ data: { account: null }, errors: [{ message: 'Unexpected error.' }] });
    expect(answer?.body).not.toMatch(/internal detail|stack|originalError|non-nullable/i);
    upstream.verify();
  });
});

describe("the suites' gateways", () => {
  it('take the path HTTP_FAST_PATH in the environment names, so that CI can run whole suites with it off', async () => {
    const gateway = await startGateway({ upstreamUrl });
    try {
      const served = await serve(gateway, one('environment', post({ query: MEMBER }), true, 200), resetEmulator, emulatorCalls);
      expect(served.answers.map((answer) => answer.status)).toEqual([200]);
      expect(served.onFastPath).toBe(process.env.HTTP_FAST_PATH === 'false' ? 0 : 1);
    } finally {
      await gateway.close();
    }
  });
});
