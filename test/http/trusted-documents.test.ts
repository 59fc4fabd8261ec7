/**
 * Trusted documents as frontend builds make them: both manifest formats (GraphQL Code Generator's
 * `persisted-documents.json` and Apollo's persisted query manifest), both ways of naming a document
 * (`documentId`, with or without `sha256:`, and `extensions.persistedQuery.sha256Hash`), in both
 * modes, over POST and GET, against the gateway and the emulator on loopback.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator/emulator.js';
import { DEMO } from '../../src/emulator/seed.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const MEMBER = 'query Member($id: ID!) { accountMember(id: $id) { name } }';
const ADD_MEMBER = `mutation AddMember($accountId: ID!, $accountMemberId: ID!) {
  createAccountMembership(accountId: $accountId, accountMemberId: $accountMemberId) { __typename }
}`;
const LISTED = { [MEMBER]: 'query', [ADD_MEMBER]: 'mutation' } as const;
const memberId = sha256(MEMBER);
const ron = { id: DEMO.members.ron.id };
const ronsName = { accountMember: { name: DEMO.members.ron.name } };

const MANIFESTS = {
  // What `persistedDocuments: true` writes (client preset 6 prefixes each hash with `sha256:`).
  'client preset': Object.fromEntries(Object.keys(LISTED).map((body) => [`sha256:${sha256(body)}`, body])),
  Apollo: {
    format: 'apollo-persisted-query-manifest',
    version: 1,
    operations: Object.entries(LISTED).map(([body, type]) => ({
      id: sha256(body),
      name: /(?:query|mutation) (\w+)/.exec(body)?.[1],
      type,
      body,
    })),
  },
};

let emulator: Emulator;
let authorization: string;
let dir: string;

beforeAll(async () => {
  emulator = createEmulator({ recordRequests: false });
  await emulator.listen(0);
  authorization = `Bearer ${emulator.issueToken()}`;
  dir = await mkdtemp(join(tmpdir(), 'trusted-documents-'));
});
afterAll(() => emulator.close());

async function gatewayWith(manifest: unknown, mode: 'enforce' | 'log' | undefined, env: Record<string, string> = {}): Promise<TestGateway> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(manifest));
  const url = emulator.server.address();
  const port = typeof url === 'object' && url ? url.port : 0;
  return startGateway({
    upstreamUrl: `http://127.0.0.1:${port}`,
    env: { ...env, TRUSTED_DOCUMENTS_FILE: file, ...(mode && { TRUSTED_DOCUMENTS_MODE: mode }) },
  });
}

type Transport = 'POST' | 'GET';

interface Named {
  accept?: string;
  documentId?: unknown;
  sha256Hash?: unknown;
  query?: string;
  variables?: Record<string, unknown>;
}

interface Answer {
  status: number;
  requestId: string | null;
  data?: unknown;
  errors?: Array<{ message: string; extensions?: { code?: string; requestId?: string } }>;
}

/** One operation over HTTP, as a browser's client sends it; a GET carries the CSRF header Yoga asks for. */
async function send(
  gateway: TestGateway,
  transport: Transport,
  { accept, documentId, sha256Hash, query, variables }: Named,
): Promise<Answer> {
  const extensions = sha256Hash === undefined ? undefined : { persistedQuery: { version: 1, sha256Hash } };
  const headers = { accept: accept ?? 'application/graphql-response+json', authorization };
  let response: Response;
  if (transport === 'POST') {
    response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ documentId, query, variables, extensions }),
    });
  } else {
    const search = new URLSearchParams();
    if (documentId !== undefined) search.set('documentId', String(documentId));
    if (query !== undefined) search.set('query', query);
    if (variables !== undefined) search.set('variables', JSON.stringify(variables));
    if (extensions !== undefined) search.set('extensions', JSON.stringify(extensions));
    response = await fetch(`${gateway.url}/graphql?${search}`, { headers: { ...headers, 'x-graphql-yoga-csrf': '1' } });
  }
  const body = (await response.json()) as Omit<Answer, 'status' | 'requestId'>;
  return { ...body, status: response.status, requestId: response.headers.get('x-request-id') };
}

/** A refusal: no data, one coded error carrying the response's request id. */
function expectRefused(answer: Answer, code: string, message: RegExp): void {
  expect(answer.data ?? null).toBeNull();
  expect(answer.errors).toEqual([{ message: expect.stringMatching(message), extensions: { code, requestId: answer.requestId } }]);
  expect(answer.requestId).toBeTruthy();
  // A request error under application/graphql-response+json, as GraphQL over HTTP asks.
  expect(answer.status).toBe(400);
}

/** The lines `log` mode wrote about operations that are not on the list (or sent without their id). */
function unlistedLines(gateway: TestGateway): Array<Record<string, unknown>> {
  return gateway.logs
    .flatMap((chunk) => chunk.split('\n'))
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter(
      (line) => line.msg === 'operation not on the trusted documents list' || line.msg === 'trusted document sent as text, without its id',
    );
}

for (const format of ['client preset', 'Apollo'] as const) {
  for (const mode of ['enforce', 'log'] as const) {
    describe(`${format} manifest, TRUSTED_DOCUMENTS_MODE=${mode}`, () => {
      let gateway: TestGateway;
      // `enforce` is the default: the enforce gateways are started without the setting.
      beforeAll(async () => {
        gateway = await gatewayWith(MANIFESTS[format], mode === 'enforce' ? undefined : mode);
      });
      afterAll(() => gateway.close());

      for (const transport of ['POST', 'GET'] as const) {
        it(`runs a listed document named by documentId, with or without sha256:, over ${transport}`, async () => {
          for (const documentId of [`sha256:${memberId}`, memberId]) {
            const answer = await send(gateway, transport, { documentId, variables: ron });
            expect(answer).toMatchObject({ status: 200, data: ronsName });
            expect(answer.errors).toBeUndefined();
          }
        });

        it(`runs a listed document named by extensions.persistedQuery.sha256Hash over ${transport}`, async () => {
          const answer = await send(gateway, transport, { sha256Hash: memberId, variables: ron });
          expect(answer).toMatchObject({ status: 200, data: ronsName });
          expect(answer.errors).toBeUndefined();
        });

        it(`runs the listed text, not a different text sent beside a listed id, over ${transport}`, async () => {
          const other = `query Other${transport} { __schema { queryType { name } } }`;
          for (const named of [{ documentId: `sha256:${memberId}` }, { sha256Hash: memberId }]) {
            const answer = await send(gateway, transport, { ...named, query: other, variables: ron });
            expect(answer).toMatchObject({ status: 200, data: ronsName });
          }
          // The listed text ran, so nothing is reported as unlisted.
          expect(unlistedLines(gateway).filter((line) => line.operationName === `Other${transport}`)).toEqual([]);
        });

        it(`answers PERSISTED_QUERY_NOT_FOUND to an unlisted id sent without a text over ${transport}`, async () => {
          const unlisted = sha256(`not listed ${transport}`);
          for (const named of [{ documentId: `sha256:${unlisted}` }, { sha256Hash: unlisted }]) {
            const answer = await send(gateway, transport, named);
            expectRefused(
              answer,
              'PERSISTED_QUERY_NOT_FOUND',
              new RegExp(`^The document ${unlisted} is not on the list of trusted documents\\.$`),
            );
          }
          expect(unlistedLines(gateway).filter((line) => line.documentHash === unlisted)).toHaveLength(mode === 'log' ? 1 : 0);
        });

        it(`answers an unlisted id with 200 to a client that accepts only application/json over ${transport}`, async () => {
          // Apollo Client's persisted-queries link reads the code from the body, then resends with the text.
          const answer = await send(gateway, transport, { accept: 'application/json', sha256Hash: sha256('not listed, JSON') });
          expect(answer.status).toBe(200);
          expect(answer.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
        });

        it(`refuses a documentId and a sha256Hash that name different documents over ${transport}`, async () => {
          const answer = await send(gateway, transport, { documentId: memberId, sha256Hash: sha256(ADD_MEMBER), variables: ron });
          expectRefused(answer, 'PERSISTED_QUERY_ID_INVALID', /names two different trusted documents/);
        });

        if (mode === 'enforce') {
          it(`refuses a text sent without an id, listed or not, over ${transport}`, async () => {
            for (const query of [MEMBER, `query Unlisted${transport} { __typename }`]) {
              const answer = await send(gateway, transport, { query, variables: ron });
              expectRefused(
                answer,
                'PERSISTED_QUERY_ONLY',
                /^Only trusted documents run here: send the id of a listed document as documentId/,
              );
            }
            expect(unlistedLines(gateway)).toEqual([]);
          });

          it(`refuses an unlisted id even with its text over ${transport}`, async () => {
            const query = `query Smuggled${transport} { __typename }`;
            const answer = await send(gateway, transport, { documentId: `sha256:${sha256(query)}`, query });
            expectRefused(answer, 'PERSISTED_QUERY_NOT_FOUND', /is not on the list of trusted documents/);
          });
        } else {
          it(`runs a text that is not on the list and logs it once, with its hash and name only, over ${transport}`, async () => {
            const query = `query Unlisted${transport}($id: ID!) { accountMember(id: $id) { email } }`;
            for (let i = 0; i < 3; i += 1) {
              const answer = await send(gateway, transport, { query, variables: ron });
              expect(answer).toMatchObject({ status: 200, data: { accountMember: { email: DEMO.members.ron.email } } });
            }
            const lines = unlistedLines(gateway).filter((line) => line.documentHash === sha256(query));
            expect(lines).toEqual([
              expect.objectContaining({
                level: 40,
                msg: 'operation not on the trusted documents list',
                trustedDocumentsMode: 'log',
                documentHash: sha256(query),
                operationName: `Unlisted${transport}`,
              }),
            ]);
            // Neither the variables nor the caller's token.
            expect(JSON.stringify(lines)).not.toContain(DEMO.members.ron.id);
            expect(Object.keys(lines[0] ?? {}).sort()).toEqual(
              ['documentHash', 'level', 'msg', 'operationName', 'service', 'time', 'trustedDocumentsMode'].sort(),
            );
          });

          it(`runs the text sent beside an unlisted id and logs it once under that id over ${transport}`, async () => {
            const query = `query Unshipped${transport} { __typename }`;
            const id = sha256(query);
            for (let i = 0; i < 2; i += 1) {
              const answer = await send(gateway, transport, { documentId: `sha256:${id}`, query });
              expect(answer).toMatchObject({ status: 200, data: { __typename: 'Query' } });
            }
            expect(unlistedLines(gateway).filter((line) => line.documentHash === id)).toEqual([
              expect.objectContaining({ msg: 'operation not on the trusted documents list', operationName: `Unshipped${transport}` }),
            ]);
          });

          it(`runs a listed text sent without its id and says so once over ${transport}`, async () => {
            const answer = await send(gateway, transport, { query: MEMBER, variables: ron });
            expect(answer).toMatchObject({ status: 200, data: ronsName });
            const lines = unlistedLines(gateway).filter((line) => line.msg === 'trusted document sent as text, without its id');
            // Listed under its own id, whichever transport sent it first.
            expect(lines).toEqual([expect.objectContaining({ documentHash: memberId, operationName: 'Member' })]);
          });
        }
      }

      it('runs a listed mutation over POST and refuses it over GET', async () => {
        const variables = { accountId: DEMO.accounts.globex.id, accountMemberId: DEMO.members.andy.id };
        const id = `sha256:${sha256(ADD_MEMBER)}`;
        const viaGet = await send(gateway, 'GET', { documentId: id, variables });
        expect(viaGet.status).toBe(405);
        const viaPost = await send(gateway, 'POST', { documentId: id, variables });
        expect(viaPost.data).toEqual({
          createAccountMembership: { __typename: expect.stringMatching(/^(AccountMembership|MembershipAlreadyExistsError)$/) },
        });
      });

      it('refuses a documentId that is not a string', async () => {
        const answer = await send(gateway, 'POST', { documentId: 42, variables: ron });
        expectRefused(answer, 'PERSISTED_QUERY_ID_INVALID', /must be a string such as "sha256:<hex>"/);
      });
    });
  }
}

describe('log mode under a flood of unlisted documents', () => {
  it("still reports a real client's unlisted operation, once the rate allows, after more than a thousand junk ones", async () => {
    const gateway = await gatewayWith(MANIFESTS['client preset'], 'log', { BATCH_LIMIT: '100' });
    try {
      // 1001 distinct junk documents, in batches (each operation of a batch is checked on its own).
      for (let batch = 0; batch < 11; batch += 1) {
        const operations = Array.from({ length: 91 }, (_, index) => ({ query: `{ __typename } # junk ${batch * 91 + index}` }));
        const response = await fetch(`${gateway.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(operations),
        });
        expect(response.status).toBe(200);
      }
      const reported = unlistedLines(gateway).length;
      expect(reported).toBeGreaterThan(0);
      expect(reported).toBeLessThan(1001);
      expect(gateway.logs.join('')).toContain('operations a minute are not on the trusted documents list; some are reported later');

      // The real client keeps calling, as clients do, until its operation is reported.
      const query = 'query RealClient { __typename }';
      while (!unlistedLines(gateway).some((line) => line.documentHash === sha256(query))) {
        const answer = await send(gateway, 'POST', { query });
        expect(answer).toMatchObject({ status: 200, data: { __typename: 'Query' } });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(unlistedLines(gateway).filter((line) => line.documentHash === sha256(query))).toEqual([
        expect.objectContaining({ msg: 'operation not on the trusted documents list', operationName: 'RealClient' }),
      ]);
    } finally {
      await gateway.close();
    }
  }, 60_000);
});

describe('without TRUSTED_DOCUMENTS_FILE', () => {
  it('runs the text and ignores a documentId beside it', async () => {
    const url = emulator.server.address();
    const port = typeof url === 'object' && url ? url.port : 0;
    const gateway = await startGateway({ upstreamUrl: `http://127.0.0.1:${port}` });
    try {
      const answer = await send(gateway, 'POST', { documentId: `sha256:${memberId}`, query: '{ __typename }' });
      expect(answer).toMatchObject({ status: 200, data: { __typename: 'Query' } });
    } finally {
      await gateway.close();
    }
  });
});

describe('the manifest and the mode are checked at start-up', () => {
  it.each([
    ['an empty manifest', {}, /is not a manifest of trusted documents/],
    ['an Apollo manifest of another version', { ...MANIFESTS.Apollo, version: 2 }, /only "apollo-persisted-query-manifest" version 1/],
    ['an unknown format', { format: 'relay', operations: [] }, /only "apollo-persisted-query-manifest" version 1/],
    [
      'an Apollo operation without a body',
      { ...MANIFESTS.Apollo, operations: [{ id: memberId, name: 'Member', type: 'query' }] },
      /is not a manifest/,
    ],
    ['two texts under one id', { [`sha256:${memberId}`]: MEMBER, [memberId]: ADD_MEMBER }, /lists two different documents under the id/],
  ])('refuses %s', async (_, manifest, message) => {
    await expect(gatewayWith(manifest, undefined)).rejects.toThrow(message);
  });

  const BROKEN = 'query Broken { accountMember(id: "x") { name }';
  const UNKNOWN_FIELD = 'query Unknown { accountMember(id: "x") { nickname } }';
  it.each([
    [
      'a document that does not parse',
      { [memberId]: MEMBER, [sha256(BROKEN)]: BROKEN },
      `lists the document ${sha256(BROKEN)}, which does not parse: Syntax Error: Expected Name, found <EOF>.`,
    ],
    [
      'a document that does not validate against the schema',
      { [`sha256:${sha256(UNKNOWN_FIELD)}`]: UNKNOWN_FIELD, [memberId]: MEMBER },
      `lists the document sha256:${sha256(UNKNOWN_FIELD)}, which does not validate against the schema: Cannot query field "nickname" on type "AccountMember".`,
    ],
    [
      'an id that is not the sha256 of its text',
      { [memberId]: ADD_MEMBER },
      `lists the document ${memberId}, which is not the sha256 of its text (that is ${sha256(ADD_MEMBER)})`,
    ],
    [
      'an id that is no hash at all',
      { 'member-v1': MEMBER },
      `lists the document member-v1, which is not the sha256 of its text (that is ${memberId})`,
    ],
    [
      'an Apollo operation whose id is not its hash',
      { ...MANIFESTS.Apollo, operations: [{ id: sha256(`${MEMBER} `), name: 'Member', type: 'query', body: MEMBER }] },
      `lists the document ${sha256(`${MEMBER} `)}, which is not the sha256 of its text (that is ${memberId})`,
    ],
  ])('refuses to start with %s, naming the first bad entry', async (_, manifest, message) => {
    const refused = gatewayWith(manifest, 'log');
    await expect(refused).rejects.toThrow(/^Invalid TRUSTED_DOCUMENTS_FILE: \S+\.json /);
    await expect(refused).rejects.toThrow(message);
  });

  it('refuses TRUSTED_DOCUMENTS_MODE without a file, and a mode it does not know', async () => {
    const url = emulator.server.address();
    const port = typeof url === 'object' && url ? url.port : 0;
    await expect(startGateway({ upstreamUrl: `http://127.0.0.1:${port}`, env: { TRUSTED_DOCUMENTS_MODE: 'log' } })).rejects.toThrow(
      'Invalid TRUSTED_DOCUMENTS_MODE: has no effect without TRUSTED_DOCUMENTS_FILE; set both, or neither',
    );
    await expect(gatewayWith(MANIFESTS.Apollo, 'warn' as 'log')).rejects.toThrow(
      "Invalid TRUSTED_DOCUMENTS_MODE: expected one of enforce, log, got 'warn'",
    );
  });
});
