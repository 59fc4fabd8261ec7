/**
 * Trusted documents: the allow-list of operations a frontend build produces, and the one plugin
 * that decides what each operation runs.
 *
 * The list (`TRUSTED_DOCUMENTS_FILE`) is GraphQL Code Generator's `persisted-documents.json`
 * (`{ "<hash>": "<document>" }`) or Apollo's persisted query manifest. A request names its document
 * by the GraphQL-over-HTTP `documentId` parameter (in the body, or in a GET's query string; with or
 * without `sha256:`) or by Apollo Client's `extensions.persistedQuery.sha256Hash`. A listed id
 * always runs its listed text: any text sent beside it is ignored, in both modes.
 *
 * | the request names              | `enforce`                   | `log`                                   |
 * | ------------------------------ | --------------------------- | --------------------------------------- |
 * | a listed id (with or w/o text) | the listed text runs        | the listed text runs                    |
 * | an unlisted id, and a text     | PERSISTED_QUERY_NOT_FOUND   | the text runs; logged once              |
 * | an unlisted id, no text        | PERSISTED_QUERY_NOT_FOUND   | PERSISTED_QUERY_NOT_FOUND; logged once  |
 * | a text and no id               | PERSISTED_QUERY_ONLY        | the text runs; logged once              |
 * | an id that is not a string, or two different ids | PERSISTED_QUERY_ID_INVALID | the same           |
 *
 * "Logged once" is rate-limited: any caller can send new texts, so the reports of new ones are
 * spent from a bucket that refills over time, and one a full bucket skipped is reported when it
 * comes again after the refill. A flood delays the reports of real clients; it never ends them.
 *
 * The list is checked at start: every document parses and validates against the schema, and every
 * id is the sha256 of its text; otherwise the gateway does not start, and says which entry is bad.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { GraphQLError, getOperationAST, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { ConfigError, type TrustedDocumentsMode } from '../config.js';
import { namedDocumentIds, normalDocumentId } from './document-id.js';
import { ErrorCode } from '../domain/errors.js';
import type { Logger } from '../observability/logger.js';
import { documentHash } from '../observability/records.js';

/** Longer than any hash; a longer "id" is not one. */
const MAX_ID_LENGTH = 256;
/** Reports of unlisted operations `log` mode may write at once, and per minute after that. */
const REPORTS_PER_MINUTE = 100;
/** Unlisted operations remembered as reported (so reported once); past this, the memory starts again. */
const MAX_REMEMBERED = 10_000;

/**
 * Reads a manifest: the client preset's `{ "<hash>": "<document>" }`, Apollo's
 * `{ "format": "apollo-persisted-query-manifest", "version": 1, "operations": [{ "id", "body", … }] }`,
 * or an array of `{ "id", "body" }`, and checks each entry against `schema`. Anything else stops
 * start-up with a ConfigError naming the first bad entry.
 */
export function readTrustedDocuments(file: string, schema: GraphQLSchema): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError('TRUSTED_DOCUMENTS_FILE', `cannot read ${file} as JSON (${(error as Error).message})`);
  }
  const invalid = (problem: string) => new ConfigError('TRUSTED_DOCUMENTS_FILE', `${file} ${problem}`);
  let entries: Array<[unknown, unknown]>;
  if (Array.isArray(parsed)) {
    entries = parsed.map((entry: { id?: unknown; body?: unknown } | null) => [entry?.id, entry?.body]);
  } else if (typeof parsed === 'object' && parsed !== null && 'format' in parsed) {
    const manifest = parsed as { format?: unknown; version?: unknown; operations?: unknown };
    if (manifest.format !== 'apollo-persisted-query-manifest' || manifest.version !== 1) {
      throw invalid(
        `has format ${JSON.stringify(manifest.format)} version ${JSON.stringify(manifest.version)}; only "apollo-persisted-query-manifest" version 1 is known`,
      );
    }
    if (!Array.isArray(manifest.operations)) throw invalid('has no "operations" array');
    entries = manifest.operations.map((operation: { id?: unknown; body?: unknown } | null) => [operation?.id, operation?.body]);
  } else {
    entries = Object.entries((parsed ?? {}) as Record<string, unknown>);
  }
  if (entries.length === 0 || !entries.every(([id, body]) => typeof id === 'string' && id !== '' && typeof body === 'string')) {
    throw invalid('is not a manifest of trusted documents: { "<id>": "<document>" } or an Apollo persisted query manifest');
  }
  const documents = new Map<string, string>();
  for (const [id, body] of entries as Array<[string, string]>) {
    const key = normalDocumentId(id);
    if (documents.has(key) && documents.get(key) !== body) throw invalid(`lists two different documents under the id ${id}`);
    const problem = documentProblem(key, body, schema);
    if (problem) throw invalid(`lists the document ${id}, which ${problem}`);
    documents.set(key, body);
  }
  return documents;
}

/** Why a listed document could never run as listed, if it could not. */
function documentProblem(id: string, body: string, schema: GraphQLSchema): string | undefined {
  const hash = createHash('sha256').update(body).digest('hex');
  if (id.toLowerCase() !== hash) return `is not the sha256 of its text (that is ${hash})`;
  let document: DocumentNode;
  try {
    document = parse(body);
  } catch (error) {
    return `does not parse: ${(error as Error).message}`;
  }
  const [error] = validate(schema, document);
  return error ? `does not validate against the schema: ${error.message}` : undefined;
}

/** Decides, for each operation of a request, which text runs (see the table above). */
export function trustedDocuments(documents: ReadonlyMap<string, string>, mode: TrustedDocumentsMode, logger: Logger): Plugin {
  const idsByText = new Map([...documents].map(([id, text]) => [text, id]));
  const logged = new Set<string>();
  const reports = new ReportBucket(REPORTS_PER_MINUTE);
  let skipped = 0;
  const logOnce = (hash: string, params: GraphQLParams, message: string) => {
    if (logged.has(hash)) return;
    if (!reports.take()) {
      // Not remembered: reported when it comes again once the bucket has refilled.
      if (skipped === 0)
        logger.warn(`more than ${REPORTS_PER_MINUTE} operations a minute are not on the trusted documents list; some are reported later`);
      skipped += 1;
      return;
    }
    if (skipped > 0) {
      logger.warn({ skippedReports: skipped }, 'operations not on the trusted documents list were not reported while over the rate');
      skipped = 0;
    }
    if (logged.size >= MAX_REMEMBERED) logged.clear();
    logged.add(hash);
    // The hash and the name only: variables (ids, emails) and credentials stay out of the log.
    logger.warn({ trustedDocumentsMode: mode, documentHash: hash, operationName: operationName(params) }, message);
  };

  return {
    onParams({ params, request, setParams }) {
      // Yoga's own check, which runs after this, refuses params that are not an object.
      if (typeof params !== 'object' || params === null) return;
      const id = requestedId(params, request);
      // Yoga refuses parameters it does not know; `documentId` has been read.
      const { documentId: _, ...rest } = params as GraphQLParams & { documentId?: unknown };
      const listed = id === undefined ? undefined : documents.get(id);
      if (listed !== undefined) {
        setParams({ ...rest, query: listed });
        return;
      }
      const text = typeof params.query === 'string' ? params.query : undefined;
      if (id !== undefined) {
        if (mode === 'log') logOnce(id, params, 'operation not on the trusted documents list');
        if (mode === 'enforce' || text === undefined) throw notListed(id);
        setParams(rest);
        return;
      }
      if (mode === 'enforce') throw idRequired();
      if (text !== undefined) {
        const listedId = idsByText.get(text);
        if (listedId === undefined) logOnce(documentHash(text), params, 'operation not on the trusted documents list');
        else logOnce(listedId, params, 'trusted document sent as text, without its id');
      }
    },
  };
}

/** A token bucket: `perMinute` reports at once, refilled at `perMinute` a minute. */
class ReportBucket {
  #tokens: number;
  #at = performance.now();
  readonly #perMinute: number;

  constructor(perMinute: number) {
    this.#perMinute = perMinute;
    this.#tokens = perMinute;
  }

  take(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.#perMinute, this.#tokens + ((now - this.#at) * this.#perMinute) / 60_000);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/**
 * The id a request names, without `sha256:`: its `documentId` (in a GET, from the query string,
 * which Yoga's parser does not keep) or `extensions.persistedQuery.sha256Hash`.
 */
function requestedId(params: GraphQLParams, request: Request): string | undefined {
  const named = namedDocumentIds(params, request);
  if (named.length === 0) return undefined;
  if (!named.every((id): id is string => typeof id === 'string' && id !== '' && id.length <= MAX_ID_LENGTH)) {
    throw invalidId(
      'A trusted document id must be a string such as "sha256:<hex>", sent as documentId or extensions.persistedQuery.sha256Hash.',
    );
  }
  const ids = new Set(named.map(normalDocumentId));
  if (ids.size > 1)
    throw invalidId(
      'The request names two different trusted documents (documentId and extensions.persistedQuery.sha256Hash); send one id.',
    );
  return [...ids][0];
}

function operationName(params: GraphQLParams): string | undefined {
  if (params.operationName) return params.operationName;
  if (typeof params.query !== 'string') return undefined;
  try {
    return getOperationAST(parse(params.query))?.name?.value;
  } catch {
    return undefined;
  }
}

// 400 to a client that accepts application/graphql-response+json, as GraphQL over HTTP asks of a
// request error; 200 under plain application/json, where older clients (Apollo Client's
// persisted-queries link among them) look for the code in the body.
const refusal = (message: string, code: ErrorCode) =>
  new GraphQLError(message, { extensions: { code, http: { spec: true, status: 400 } } });

const notListed = (id: string) =>
  refusal(`The document ${id} is not on the list of trusted documents.`, ErrorCode.PERSISTED_QUERY_NOT_FOUND);

const idRequired = () =>
  refusal(
    'Only trusted documents run here: send the id of a listed document as documentId (or extensions.persistedQuery.sha256Hash), not only its text.',
    ErrorCode.PERSISTED_QUERY_ONLY,
  );

const invalidId = (message: string) => refusal(message, ErrorCode.PERSISTED_QUERY_ID_INVALID);
