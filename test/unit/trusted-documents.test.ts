/**
 * The trusted documents rules on their own: every refusal of a manifest with its exact message, the
 * id and parameter checks of a request, and the rate of `log` mode's lines on a fake clock.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GraphQLError } from 'graphql';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../src/observability/logger.js';
import { readTrustedDocuments, trustedDocuments } from '../../src/plugins/use-trusted-documents.js';
import { schema } from '../../src/schema/index.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const MEMBER = 'query Member($id: ID!) { accountMember(id: $id) { name } }';
const memberId = sha256(MEMBER);
const TYPENAME = '{ __typename }';

const dir = mkdtempSync(join(tmpdir(), 'trusted-documents-unit-'));
let files = 0;

/** Writes `text` to a fresh file and returns its path. */
function manifestFile(text: string): string {
  files += 1;
  const file = join(dir, `${files}.json`);
  writeFileSync(file, text);
  return file;
}

describe('readTrustedDocuments', () => {
  it('reads both formats, keying each id without sha256:, and accepts one id listed twice with the same text', () => {
    const preset = manifestFile(JSON.stringify({ [`sha256:${memberId}`]: MEMBER, [memberId]: MEMBER }));
    expect(readTrustedDocuments(preset, schema)).toEqual(new Map([[memberId, MEMBER]]));
    const apollo = manifestFile(
      JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: memberId, body: MEMBER }] }),
    );
    expect(readTrustedDocuments(apollo, schema)).toEqual(new Map([[memberId, MEMBER]]));
  });

  it('refuses a file that is not JSON, saying why', () => {
    const file = manifestFile('{ not json');
    let message = '';
    try {
      JSON.parse('{ not json');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(() => readTrustedDocuments(file, schema)).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        variable: 'TRUSTED_DOCUMENTS_FILE',
        message: `Invalid TRUSTED_DOCUMENTS_FILE: cannot read ${file} as JSON (${message})`,
      }),
    );
  });

  const NOT_A_MANIFEST = 'is not a manifest of trusted documents: { "<id>": "<document>" } or an Apollo persisted query manifest';
  const ONLY_VERSION_1 = 'only "apollo-persisted-query-manifest" version 1 is known';

  it.each([
    ['another format', { format: 'relay', version: 1, operations: [] }, `has format "relay" version 1; ${ONLY_VERSION_1}`],
    [
      'another version',
      { format: 'apollo-persisted-query-manifest', version: 2, operations: [] },
      `has format "apollo-persisted-query-manifest" version 2; ${ONLY_VERSION_1}`,
    ],
    ['an Apollo manifest without operations', { format: 'apollo-persisted-query-manifest', version: 1 }, 'has no "operations" array'],
    ['an empty object', {}, NOT_A_MANIFEST],
    ['an empty array', [], NOT_A_MANIFEST],
    ['an Apollo manifest with no operations', { format: 'apollo-persisted-query-manifest', version: 1, operations: [] }, NOT_A_MANIFEST],
    ['an empty id beside a good entry', { [memberId]: MEMBER, '': MEMBER }, NOT_A_MANIFEST],
    ['an entry without a body beside a good one', [{ id: memberId, body: MEMBER }, { id: sha256('x') }], NOT_A_MANIFEST],
    ['an entry whose id is not a string', [{ id: 42, body: MEMBER }], NOT_A_MANIFEST],
    ['a null entry', [null], NOT_A_MANIFEST],
    [
      'one id with two texts',
      { [memberId]: MEMBER, [`sha256:${memberId}`]: TYPENAME },
      `lists two different documents under the id sha256:${memberId}`,
    ],
  ])('refuses %s with its exact message', (_, manifest, problem) => {
    const file = manifestFile(JSON.stringify(manifest));
    expect(() => readTrustedDocuments(file, schema)).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: `Invalid TRUSTED_DOCUMENTS_FILE: ${file} ${problem}` }),
    );
  });
});

interface Line {
  fields?: Record<string, unknown>;
  message: string;
}

/** A logger that keeps each warn line; the plugin writes nothing else. */
function recordingLogger(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const warn = (first: unknown, second?: string) => {
    lines.push(typeof first === 'string' ? { message: first } : { fields: first as Record<string, unknown>, message: second ?? '' });
  };
  return { logger: { warn } as unknown as Logger, lines };
}

type OnParams = (payload: { params: unknown; request: Request; setParams: (params: unknown) => void }) => void;

/** The plugin's `onParams` over a POST, answering the params it set (or undefined) or throwing its refusal. */
function checker(mode: 'enforce' | 'log', logger: Logger = recordingLogger().logger) {
  const plugin = trustedDocuments(new Map([[memberId, MEMBER]]), mode, logger);
  const onParams = plugin.onParams as unknown as OnParams;
  return (params: unknown): unknown => {
    let set: unknown;
    onParams({ params, request: new Request('http://gateway/graphql', { method: 'POST' }), setParams: (next) => (set = next) });
    return set;
  };
}

const codeOf = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return (error as GraphQLError).extensions?.code;
  }
  return undefined;
};

describe('trustedDocuments: what a request names', () => {
  it.each(['enforce', 'log'] as const)('leaves params that are not an object to Yoga in %s mode', (mode) => {
    const check = checker(mode);
    for (const params of [null, 'query', 42]) expect(check(params)).toBeUndefined();
  });

  it('refuses an unlisted id sent beside a query that is not a string, in log mode', () => {
    const check = checker('log');
    expect(codeOf(() => check({ documentId: sha256('unlisted'), query: 42 }))).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it.each([
    ['an empty id', '', 'PERSISTED_QUERY_ID_INVALID'],
    ['an id one character over the limit', 'a'.repeat(257), 'PERSISTED_QUERY_ID_INVALID'],
    ['an id exactly at the limit (unlisted, but an id)', 'a'.repeat(256), 'PERSISTED_QUERY_NOT_FOUND'],
  ])('answers %s with %s', (_, documentId, code) => {
    expect(codeOf(() => checker('enforce')({ documentId }))).toBe(code);
  });

  it('runs the listed text of a listed id and drops documentId', () => {
    expect(checker('enforce')({ documentId: `sha256:${memberId}`, variables: {} })).toEqual({ query: MEMBER, variables: {} });
  });
});

describe('trustedDocuments: the lines log mode writes', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const unlisted = (n: number) => ({ query: `${TYPENAME} # ${n}` });
  const reportsOf = (lines: Line[]) => lines.filter((line) => line.message === 'operation not on the trusted documents list');

  it('writes one line per document, with the operation name the request gives', () => {
    const { logger, lines } = recordingLogger();
    const check = checker('log', logger);
    for (const params of [unlisted(1), unlisted(2), unlisted(1), unlisted(2)]) check(params);
    check({ query: TYPENAME, operationName: 'Given' });
    check({ query: '{ __typename', operationName: undefined });
    expect(reportsOf(lines).map((line) => line.fields)).toEqual([
      { trustedDocumentsMode: 'log', documentHash: sha256(unlisted(1).query), operationName: undefined },
      { trustedDocumentsMode: 'log', documentHash: sha256(unlisted(2).query), operationName: undefined },
      { trustedDocumentsMode: 'log', documentHash: sha256(TYPENAME), operationName: 'Given' },
      { trustedDocumentsMode: 'log', documentHash: sha256('{ __typename'), operationName: undefined },
    ]);
    expect(lines).toHaveLength(4);
  });

  it('reports a new document when the bucket holds exactly 1 token', () => {
    const { logger, lines } = recordingLogger();
    const check = checker('log', logger);
    for (let n = 0; n < 100; n += 1) check(unlisted(n));
    expect(reportsOf(lines)).toHaveLength(100);
    // 100 a minute: 600 ms refill exactly one.
    vi.advanceTimersByTime(600);
    check(unlisted(100));
    expect(reportsOf(lines)).toHaveLength(101);
  });

  it('says once that it is over the rate, then how many reports it skipped', () => {
    const { logger, lines } = recordingLogger();
    const check = checker('log', logger);
    const overRate = { message: 'more than 100 operations a minute are not on the trusted documents list; some are reported later' };
    const skippedLine = (skippedReports: number) => ({
      fields: { skippedReports },
      message: 'operations not on the trusted documents list were not reported while over the rate',
    });
    for (let n = 0; n < 103; n += 1) check(unlisted(n));
    expect(lines.slice(100)).toEqual([overRate]);
    vi.advanceTimersByTime(600);
    check(unlisted(101));
    expect(lines.slice(101)).toEqual([
      skippedLine(3),
      expect.objectContaining({ fields: expect.objectContaining({ documentHash: sha256(unlisted(101).query) }) }),
    ]);
    // The count starts again: the next time over the rate is said again, with its own count.
    check(unlisted(102));
    vi.advanceTimersByTime(600);
    check(unlisted(102));
    expect(lines.slice(103)).toEqual([
      overRate,
      skippedLine(1),
      expect.objectContaining({ fields: expect.objectContaining({ documentHash: sha256(unlisted(102).query) }) }),
    ]);
    expect(lines.filter((line) => line.fields && 'skippedReports' in line.fields)).toHaveLength(2);
  });

  it('forgets what it reported once it remembers 10,000 documents, and not before', () => {
    const { logger, lines } = recordingLogger();
    const check = checker('log', logger);
    for (let n = 0; n < 10_000; n += 1) {
      if (n % 100 === 0) vi.advanceTimersByTime(60_000);
      check(unlisted(n));
    }
    // 10,000 remembered: the first again is still known.
    check(unlisted(0));
    expect(reportsOf(lines)).toHaveLength(10_000);
    vi.advanceTimersByTime(60_000);
    // The 10,001st starts the memory again, so the first is reported a second time; the 10,001st is remembered.
    check(unlisted(10_000));
    check(unlisted(0));
    check(unlisted(10_000));
    expect(
      reportsOf(lines)
        .slice(10_000)
        .map((line) => line.fields?.documentHash),
    ).toEqual([sha256(unlisted(10_000).query), sha256(unlisted(0).query)]);
  });
});
