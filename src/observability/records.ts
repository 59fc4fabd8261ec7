/**
 * What the gateway knows about each request and each operation in it, gathered at the one seam
 * every request crosses (the Yoga/envelop plugin chain) and handed, once the response is ready, to
 * whoever reports it: the access log and the metrics. Spans hang off the same records.
 *
 * Nothing here holds a token, a variable or a response body.
 */
import { createHash, randomUUID } from 'node:crypto';
import { GraphQLError, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { namedDocumentIds, normalDocumentId } from '../plugins/document-id.js';
import type { Logger } from './logger.js';
import type { OperationMeter } from '../upstream/account-management.js';

export type OperationType = 'query' | 'mutation' | 'subscription';

export interface OperationRecord extends OperationMeter {
  /** The operation's own name, or `operationName` when it named one. */
  name: string | undefined;
  /** Unknown until the document parses and names an operation. */
  type: OperationType | undefined;
  /**
   * The document parsed, validated against the schema and holds the operation it runs: only then
   * is `name` one of the schema's clients' own, rather than whatever a caller sent.
   */
  validated?: boolean;
  /** sha256 of the document text (or the trusted document id it was sent as). */
  documentHash: string | undefined;
  /** `extensions.code` of each error in its result, in order. */
  codes: string[];
  /** The cost estimate's upper bound on its Elastic Path calls, once it was worked out. */
  estimatedCalls?: number;
  /** The tracer's span for this operation, when tracing is on. */
  trace?: unknown;
}

export interface RequestRecord {
  /** The caller's well-formed `x-request-id`, or a new UUID. */
  id: string;
  /** `performance.now()` when the request arrived. */
  startedAt: number;
  clientName: string | undefined;
  clientVersion: string | undefined;
  operations: OperationRecord[];
  /** Codes of a result that no operation produced (a bad body, a refused trusted document). */
  requestCodes: string[];
  /** The tracer's server span, when tracing is on. */
  trace?: unknown;
}

/** The status recorded for a request whose caller's connection closed before the answer. */
const CALLER_LEFT = 499;

/** Told about each request once its response is ready. */
export type RequestSink = (record: RequestRecord, status: number) => void;

const records = new WeakMap<Request, RequestRecord>();
const operations = new WeakMap<object, OperationRecord>();

/** The record of a request that passed through `observeRequests`. */
export const recordOf = (request: Request): RequestRecord | undefined => records.get(request);

/** The record of the operation whose GraphQL context this is (the context Yoga builds per operation). */
export const operationOf = (context: object): OperationRecord | undefined => operations.get(context);

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-request-id` when it is well formed (at most 128 of `[A-Za-z0-9._:-]`); otherwise a new UUID. */
export function requestIdFrom(header: string | null | undefined): string {
  return header && REQUEST_ID.test(header) ? header : randomUUID();
}

/** Bounded so a stream of distinct documents cannot grow it without limit. */
const hashes = new Map<string, string>();
const MAX_HASHES = 1000;

export function documentHash(text: string): string {
  let hash = hashes.get(text);
  if (hash === undefined) {
    hash = createHash('sha256').update(text).digest('hex');
    if (hashes.size >= MAX_HASHES) hashes.clear();
    hashes.set(text, hash);
  }
  return hash;
}

/**
 * An error's `extensions.code`. Yoga refuses some requests before any GraphQL runs with no code
 * (no query, a GET for a mutation): a 4xx it gave is the caller's `BAD_REQUEST`, not an internal error.
 */
export const codeOf = (error: GraphQLError | Error): string => {
  const extensions = (error as GraphQLError).extensions;
  const code = extensions?.code;
  if (typeof code === 'string') return code;
  const status = (extensions?.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
};

/** Errors already logged with their request id; Yoga's own logger skips them (see `yogaLogger`). */
export const loggedErrors = new WeakSet<object>();

/** Errors whose codes an operation's record holds; any other error of a result is the request's. */
const attributed = new WeakSet<object>();

/** Operations whose document holds the operation they name (or their one operation). */
const defined = new WeakSet<OperationRecord>();

/** Trusted-document ids, by operation context, of operations the caller sent without their text. */
const persistedIds = new WeakMap<object, string>();

/**
 * Keeps the records, stamps every response with `x-request-id` and every top-level error with
 * `extensions.requestId`, and hands each finished request to the sinks.
 */
export function observeRequests(sinks: RequestSink[], logger?: Logger, callerLeft: (request: Request) => boolean = () => false): Plugin {
  return {
    onRequest({ request }) {
      records.set(request, {
        id: requestIdFrom(request.headers.get('x-request-id')),
        startedAt: performance.now(),
        clientName: header(request, 'graphql-client-name', 'apollographql-client-name'),
        clientVersion: header(request, 'graphql-client-version', 'apollographql-client-version'),
        operations: [],
        requestCodes: [],
      });
    },
    onParams({ params, request, context }) {
      // Seen before the trusted-documents plugin swaps the id for its text: only an operation sent
      // without text is known by its id. A caller's id beside a text of its own proves nothing.
      // Params that are not an object (a batch of `[null]`) are Yoga's to refuse, after this.
      if (typeof params !== 'object' || params === null || params.query) return;
      const [id] = namedDocumentIds(params, request);
      if (typeof id === 'string') persistedIds.set(context, normalDocumentId(id).slice(0, 128));
    },
    onParse({ context, params }) {
      const initial = context as { request?: Request; params?: { operationName?: string } };
      const record = initial.request && records.get(initial.request);
      if (!record) return undefined;
      const operation: OperationRecord = {
        name: initial.params?.operationName ?? undefined,
        type: undefined,
        documentHash: persistedIds.get(context) ?? documentHash(String(params.source)),
        codes: [],
        calls: 0,
        retries: 0,
      };
      record.operations.push(operation);
      operations.set(context, operation);
      // Named and typed as soon as the document parses, so an operation that fails validation is too.
      return ({ result }) => {
        if (result instanceof Error || result === null) return;
        const definition = getOperationAST(result, initial.params?.operationName);
        if (definition) {
          operation.type = definition.operation;
          operation.name ??= definition.name?.value;
          defined.add(operation);
        }
      };
    },
    onValidate({ context }) {
      const operation = operations.get(context);
      if (!operation) return undefined;
      return ({ valid }) => {
        operation.validated = valid && defined.has(operation);
      };
    },
    onExecute({ args }) {
      const operation = operations.get(args.contextValue as object);
      if (!operation) return undefined;
      const requestId = records.get((args.contextValue as { request: Request }).request)?.id;
      const definition = getOperationAST(args.document, args.operationName);
      if (definition) {
        operation.type = definition.operation;
        operation.name ??= definition.name?.value;
      }
      return {
        onExecuteDone({ result }) {
          if (!('errors' in result) || !result.errors) return;
          for (const error of result.errors) {
            // Seen here before Yoga masks it: logged once, with the request id, in place of Yoga's own line.
            if (codeOf(error) === 'INTERNAL_SERVER_ERROR' && logger) {
              logger.error({ requestId, err: error.originalError ?? error }, 'unexpected error');
              loggedErrors.add(error);
            }
          }
        },
      };
    },
    // The operation's final errors: Yoga gives parse and validation errors their codes, and masks
    // unexpected ones, in hooks that run after this plugin's own parse, validate and execute hooks.
    onExecutionResult({ result, context }) {
      const operation = operations.get(context);
      if (!operation || !result || Symbol.asyncIterator in result) return;
      const errors = (result as { errors?: readonly GraphQLError[] }).errors ?? [];
      operation.codes = errors.map(codeOf);
      for (const error of errors) attributed.add(error);
    },
    onResultProcess({ request, result, setResult }) {
      const record = records.get(request);
      if (!record) return;
      const results = Array.isArray(result) ? result : [result];
      // Errors no operation owns: a body that is not JSON, a refused trusted document, an operation
      // of a batch turned away before it parsed.
      for (const one of results) {
        if (!hasErrors(one)) continue;
        for (const error of (one as { errors: GraphQLError[] }).errors) {
          if (!attributed.has(error)) record.requestCodes.push(codeOf(error));
        }
      }
      if (!results.some(hasErrors)) return;
      setResult(Array.isArray(result) ? result.map((one) => withRequestId(one, record.id)) : withRequestId(result, record.id));
    },
    onResponse({ request, response }) {
      const record = records.get(request);
      // The health check and CORS preflights answer before this plugin sees the request: they
      // carry no operation, but still a request id.
      if (!record) {
        response.headers.set('x-request-id', requestIdFrom(request.headers.get('x-request-id')));
        return;
      }
      response.headers.set('x-request-id', record.id);
      // A caller whose connection closed first (it left, or a drain ran out of grace) saw no
      // status at all: recorded as 499, the status proxies use for that, not as the one unsent.
      const status = callerLeft(request) ? CALLER_LEFT : response.status;
      for (const sink of sinks) sink(record, status);
    },
  };
}

function header(request: Request, name: string, alias: string): string | undefined {
  const value = request.headers.get(name) ?? request.headers.get(alias);
  return value === null ? undefined : value.slice(0, 128);
}

function publicExtensions(error: GraphQLError, requestId: string): Record<string, unknown> {
  const { originalError: _, ...extensions } = error.extensions ?? {};
  const code = codeOf(error);
  return { ...extensions, ...(code !== 'INTERNAL_SERVER_ERROR' && { code }), requestId };
}

const hasErrors = (result: unknown): boolean =>
  Array.isArray((result as { errors?: unknown } | null)?.errors) && (result as { errors: unknown[] }).errors.length > 0;

/**
 * The result with `extensions.requestId` on each top-level error, and the code `codeOf` gives it
 * when it had none. `extensions.originalError` is dropped: Yoga puts a body's JSON parse error
 * there, which quotes the body and any secret its variables held. The errors are copied, never
 * changed: Yoga caches validation errors per document, and those are shared between requests.
 */
function withRequestId<T>(result: T, requestId: string): T {
  const { errors } = result as { errors?: GraphQLError[] };
  if (!errors || errors.length === 0) return result;
  return {
    ...result,
    errors: errors.map(
      (error) =>
        new GraphQLError(error.message, {
          nodes: error.nodes,
          source: error.source,
          positions: error.positions,
          path: error.path,
          originalError: error.originalError,
          extensions: publicExtensions(error, requestId),
        }),
    ),
  };
}
