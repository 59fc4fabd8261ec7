/**
 * Every failure the gateway can report, and the one map from Elastic Path's answers to them.
 *
 * Two channels, chosen on purpose:
 * - expected, actionable failures are the domain classes below; fields list them explicitly and
 *   the errors plugin turns them into typed union members;
 * - auth and infrastructure failures are `GraphQLError`s with a stable `extensions.code`.
 * Anything else is masked by Yoga ("Unexpected error.").
 */
import { GraphQLError } from 'graphql';

export type Resource = 'Account' | 'AccountMember' | 'AccountMembership';

const RESOURCE_WORDS: Record<Resource, string> = {
  Account: 'Account',
  AccountMember: 'Account member',
  AccountMembership: 'Account membership',
};

/** Elastic Path's limit on memberships in one account. */
export const MEMBERSHIP_LIMIT = 1000;

export class ValidationError extends Error {
  constructor(
    message: string,
    /** The argument or input field at fault, when there is one. */
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends Error {
  constructor(
    readonly resource: Resource,
    readonly id: string,
  ) {
    super(`${RESOURCE_WORDS[resource]} ${id} was not found.`);
    this.name = 'NotFoundError';
  }
}

export class MembershipAlreadyExistsError extends Error {
  constructor(accountMemberId: string, accountId: string) {
    super(`Account member ${accountMemberId} is already a member of account ${accountId}.`);
    this.name = 'MembershipAlreadyExistsError';
  }
}

export class MembershipLimitReachedError extends Error {
  readonly limit = MEMBERSHIP_LIMIT;
  constructor(accountId: string) {
    super(`Account ${accountId} already has the maximum of ${MEMBERSHIP_LIMIT} memberships; remove one before adding another.`);
    this.name = 'MembershipLimitReachedError';
  }
}

export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  RATE_LIMITED: 'RATE_LIMITED',
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
  UPSTREAM_TIMEOUT: 'UPSTREAM_TIMEOUT',
  UPSTREAM_ERROR: 'UPSTREAM_ERROR',
  UPSTREAM_BUDGET_EXCEEDED: 'UPSTREAM_BUDGET_EXCEEDED',
  /** A write was sent but its answer never came, and looking it up could not tell what it did. */
  WRITE_OUTCOME_UNKNOWN: 'WRITE_OUTCOME_UNKNOWN',
  /** The request body is over MAX_BODY_BYTES (HTTP 413, before any GraphQL). */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** Trusted documents: the id the request names is not on the list (the name Apollo Client reacts to). */
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  /** Trusted documents are enforced and the request sent a text without an id. */
  PERSISTED_QUERY_ONLY: 'PERSISTED_QUERY_ONLY',
  /** The request's document id is not a string, or it names two different ids. */
  PERSISTED_QUERY_ID_INVALID: 'PERSISTED_QUERY_ID_INVALID',
  /** A GET or form POST without a CSRF-prevention header (HTTP 403, before any GraphQL). */
  CSRF_HEADER_REQUIRED: 'CSRF_HEADER_REQUIRED',
  /** The request's `Accept` allows no answer the gateway gives (HTTP 406, before any GraphQL; no body). */
  NOT_ACCEPTABLE: 'NOT_ACCEPTABLE',
  /** Sent by Yoga without a code of its own: a request it refused with a 4xx before any GraphQL ran. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The process, or the WebSocket connection, already holds as many subscriptions as it may. */
  SUBSCRIPTION_LIMIT: 'SUBSCRIPTION_LIMIT',
  /** A subscriber fell more than SUBSCRIPTION_BUFFER events behind and was ended. */
  SLOW_SUBSCRIBER: 'SLOW_SUBSCRIBER',
  /** The replica is draining: streams end, and new ones are refused, so clients reconnect elsewhere. */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** What Elastic Path said, kept for the caller in `extensions.upstream`. */
export interface UpstreamDetail {
  status: number;
  title?: string;
  detail?: string;
}

/** Elastic Path answered with a status other than the one the call expects. */
export class UpstreamStatusError extends Error {
  constructor(readonly upstream: UpstreamDetail) {
    super(`Elastic Path answered ${upstream.status}`);
    this.name = 'UpstreamStatusError';
  }
}

export function gatewayError(code: ErrorCode, message: string, upstream?: UpstreamDetail): GraphQLError {
  return new GraphQLError(message, {
    extensions: upstream ? { code, upstream: { ...upstream } } : { code },
  });
}

/** `_entities` was given representations naming no entity this subgraph resolves (1-based positions). */
export function unknownRepresentations(
  unknown: ReadonlyArray<{ position: number; typename: unknown }>,
  entities: readonly string[],
): GraphQLError {
  const each = unknown.map(({ position, typename }, index) => {
    const which = `${index === 0 ? 'Representation' : 'representation'} ${position}`;
    return typeof typename === 'string'
      ? `${which} names __typename ${JSON.stringify(typename)}, which this subgraph does not resolve`
      : `${which} names none`;
  });
  const list = entities.length > 1 ? `${entities.slice(0, -1).join(', ')} and ${entities.at(-1)}` : (entities[0] ?? 'nothing');
  return gatewayError(ErrorCode.BAD_USER_INPUT, `${each.join('; ')}. It resolves ${list}.`);
}

export const missingToken = (): GraphQLError =>
  gatewayError(
    ErrorCode.UNAUTHENTICATED,
    "This operation reaches Elastic Path and needs the caller's token: send 'Authorization: Bearer <Elastic Path access token>'.",
  );

/** The caller sent EP-Account-Management-Authentication-Token, but not as a token (never echoed). */
export const malformedAccountToken = (): GraphQLError =>
  gatewayError(
    ErrorCode.UNAUTHENTICATED,
    'The EP-Account-Management-Authentication-Token header is not a token Elastic Path issued (up to 8192 letters, digits and -._~+/ characters). Send the token as Elastic Path issued it, or leave the header out.',
  );

/** The statuses a typed upstream call may give a meaning of its own; every other status is shared. */
export type CallStatus = 400 | 404 | 409 | 422;

/**
 * What one upstream call's statuses mean: each typed method in `src/upstream/account-management.ts`
 * declares its own (the create's 400, 404 and 409, a list's 404). A status it leaves out falls to
 * the shared map.
 */
export type StatusMeanings = Readonly<Partial<Record<CallStatus, (upstream: UpstreamDetail) => Error>>>;

/**
 * The one map from an upstream status to what the caller sees: the call's own meaning when it
 * declared one, otherwise what every call shares (401, 403, 429, 502/503/504, anything else). The
 * HTTP status decides; the body's `status` (a string from the service, a number from Elastic
 * Path's API gateway) is not read.
 */
export function fromUpstream(upstream: UpstreamDetail, meanings: StatusMeanings): Error {
  const own = meanings[upstream.status as CallStatus];
  return own ? own(upstream) : sharedMeaning(upstream);
}

function sharedMeaning(upstream: UpstreamDetail): Error {
  switch (upstream.status) {
    case 401:
      return gatewayError(
        ErrorCode.UNAUTHENTICATED,
        "Elastic Path did not accept the access token (it may have expired). Get a new token and send it as 'Authorization: Bearer <token>'.",
        upstream,
      );
    case 403:
      return gatewayError(
        ErrorCode.FORBIDDEN,
        'The access token is not allowed to do this. Account memberships need a client_credentials token (or an implicit token with EP-Account-Management-Authentication-Token for that account).',
        upstream,
      );
    case 429:
      return gatewayError(ErrorCode.RATE_LIMITED, 'Elastic Path is rate-limiting this store. Wait a moment and try again.', upstream);
    case 502:
    case 503:
    case 504:
      return unavailable(upstream);
    default:
      return gatewayError(ErrorCode.UPSTREAM_ERROR, `Elastic Path answered with an unexpected status ${upstream.status}.`, upstream);
  }
}

/** A 400 or 422 to a call that sent input: Elastic Path refused it, and its reason is the message. */
export function inputRefused(upstream: UpstreamDetail): ValidationError {
  return new ValidationError(upstreamSentence(upstream));
}

/** A 409 where no domain error fits (a delete): Elastic Path's words, with the CONFLICT code. */
export function upstreamConflict(upstream: UpstreamDetail): GraphQLError {
  return gatewayError(ErrorCode.CONFLICT, `Elastic Path reported a conflict: ${upstreamSentence(upstream)}`, upstream);
}

export function unavailable(upstream?: UpstreamDetail): GraphQLError {
  return gatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, 'Elastic Path is unavailable right now. Try again shortly.', upstream);
}

/**
 * A write that was written to Elastic Path but never answered: it timed out, its connection was
 * reset or closed, or the operation ended (its deadline, or the caller leaving) while it was out.
 * Elastic Path may or may not have applied it. The client marks it; the typed methods look the
 * write up and answer from what they find, or with `writeOutcomeUnknown`. It never reaches a caller.
 */
export class UnansweredWriteError extends Error {
  constructor(
    /** Why no answer came, in words for the caller: "the connection closed before the answer came". */
    readonly because: string,
    /** When the request was written to the socket (ms since the epoch, our clock). */
    readonly sentAt: number,
  ) {
    super(`A write's answer was lost: ${because}.`);
    this.name = 'UnansweredWriteError';
  }
}

/**
 * A write whose fate is unknown: its answer was lost and the lookup found nothing (lists can lag
 * writes, so absence proves nothing), failed, or could not run. Never "try again": a blind repeat
 * of a create can meet its own write. `what` says what was written, `safeRetry` what to do instead.
 */
export function writeOutcomeUnknown(what: string, safeRetry: string): GraphQLError {
  return gatewayError(
    ErrorCode.WRITE_OUTCOME_UNKNOWN,
    `Elastic Path's answer to ${what} was lost, and the gateway could not tell whether it was applied: it may have been. ${safeRetry}`,
  );
}

/**
 * A create's answer was lost and the lookup found the membership, created too close to the moment
 * the write left to tell whether this write made it or it was there already: the member belongs to
 * the account either way. `createAccountMembership` answers this instead of either union member,
 * each of which could be untrue.
 */
export function membershipOfUnknownOrigin(accountMemberId: string, accountId: string): GraphQLError {
  return gatewayError(
    ErrorCode.WRITE_OUTCOME_UNKNOWN,
    `Account member ${accountMemberId} is a member of account ${accountId} now, but Elastic Path's answer to this call was lost and its clock cannot tell whether this call's write made the membership (it may have been applied) or it was there already. Do not send createAccountMembership again to find out: ensureAccountMembership is the safe retry, it answers the membership without writing it twice.`,
  );
}

/**
 * One phase of an attempt took longer than EP_API_TIMEOUT_MS: connecting (at most 5 s), waiting
 * for the response head, or a gap while the body arrived. Not a bound on the whole attempt.
 */
export function timedOut(timeoutMs: number): GraphQLError {
  return gatewayError(ErrorCode.UPSTREAM_TIMEOUT, `Elastic Path did not answer within ${timeoutMs} ms. Try again shortly.`);
}

/**
 * The request would cost Elastic Path more calls than MAX_UPSTREAM_CALLS allows: refused before any
 * call when the estimate says so (`estimated`), or at run time when the calls made reach the limit.
 * Refused before it runs, the operation has no `data`, so GraphQL over HTTP wants a 4xx under
 * `application/graphql-response+json` (400, as for the depth and alias limits) and 200 under
 * `application/json` (`spec: true`).
 */
export function budgetExceeded(limit: number, estimated?: number): GraphQLError {
  const message =
    estimated === undefined
      ? `This request reached its limit of ${limit} Elastic Path calls, so the rest of it was not run.`
      : `This operation could make up to ${estimated} Elastic Path calls; one request may make at most ${limit}.`;
  return budgetError(
    `${message} Ask for smaller pages (a lower first), fewer aliases or nested lists, or split it into several requests.`,
    limit,
    estimated,
  );
}

/** A subscription whose selection could cost one event more calls than SUBSCRIPTION_EVENT_MAX_CALLS. */
export function eventBudgetExceeded(limit: number, estimated: number): GraphQLError {
  return budgetError(
    `Each event of this subscription could make up to ${estimated} Elastic Path calls; one event may make at most ${limit}. Select fewer related records (accountMember, account, parent) in the subscription, and read the rest with a query when an event needs it.`,
    limit,
    estimated,
  );
}

function budgetError(message: string, limit: number, estimated: number | undefined): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: ErrorCode.UPSTREAM_BUDGET_EXCEEDED,
      limit,
      ...(estimated !== undefined && { estimated, http: { spec: true, status: 400 } }),
    },
  });
}

/** The operation's deadline passed, or its caller went away, before or while a call waited. */
export function deadlineError(signal: AbortSignal | undefined, timeoutMs: number): GraphQLError {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return gatewayError(ErrorCode.UPSTREAM_TIMEOUT, 'The operation ran out of time waiting for Elastic Path. Try again shortly.');
  }
  return timedOut(timeoutMs);
}

/** The circuit breaker is open: Elastic Path failed for many calls, so calls fail fast for a while. */
export function breakerOpen(): GraphQLError {
  return gatewayError(
    ErrorCode.UPSTREAM_UNAVAILABLE,
    'Elastic Path is failing for many calls, so the gateway is pausing calls to it for a few seconds. Try again shortly.',
  );
}

/** The outbound limiter's queue is full (EP_API_QUEUE_LIMIT). */
/** A call that could not start within Elastic Path's rate limit before the operation's deadline. */
export function quotaExhausted(): GraphQLError {
  return gatewayError(
    ErrorCode.RATE_LIMITED,
    "The gateway's share of Elastic Path's rate limit has no room for this call before the operation's deadline. Wait a moment and try again.",
  );
}

export function queueFull(): GraphQLError {
  return gatewayError(ErrorCode.RATE_LIMITED, 'The gateway is at its limit of calls to Elastic Path. Wait a moment and try again.');
}

/**
 * The request body is over MAX_BODY_BYTES: answered with 413 by the HTTP server before Yoga sees
 * the request, so it carries the request id itself.
 */
export function payloadTooLarge(maxBodyBytes: number, requestId: string): GraphQLError {
  return new GraphQLError(`The request body is larger than ${maxBodyBytes} bytes.`, {
    extensions: { code: ErrorCode.PAYLOAD_TOO_LARGE, requestId },
  });
}

/** A subscription refused for the process's or the connection's limit. */
export function subscriptionLimit(limit: number, scope: 'process' | 'connection'): GraphQLError {
  return gatewayError(
    ErrorCode.SUBSCRIPTION_LIMIT,
    scope === 'process'
      ? `This gateway already serves its limit of ${limit} subscriptions. Try again shortly.`
      : `This connection already holds its limit of ${limit} subscriptions. Complete one, or open another connection.`,
  );
}

/** A subscriber whose client read events more slowly than they came: its stream ends rather than grow. */
export function slowSubscriber(buffer: number): GraphQLError {
  return gatewayError(
    ErrorCode.SLOW_SUBSCRIBER,
    `The subscription fell more than ${buffer} events behind and was ended. Refetch what it shows, then subscribe again.`,
  );
}

export function shuttingDown(): GraphQLError {
  return gatewayError(ErrorCode.SHUTTING_DOWN, 'This gateway is shutting down. Subscribe again to reach another replica.');
}

export function malformed(what: string, status: number): GraphQLError {
  return gatewayError(ErrorCode.UPSTREAM_ERROR, `Elastic Path sent ${what}.`, { status });
}

function upstreamSentence({ title, detail }: UpstreamDetail): string {
  const text = detail ?? title ?? 'the request was not valid';
  return `Elastic Path rejected the request: ${text}`;
}

/**
 * For fields without a result union: expected failures become top-level errors with a code, so a
 * list query on a missing account says NOT_FOUND instead of being masked.
 */
export function asTopLevel(error: unknown): unknown {
  if (error instanceof NotFoundError) return gatewayError(ErrorCode.NOT_FOUND, error.message);
  if (error instanceof ValidationError) {
    return new GraphQLError(error.message, {
      extensions: { code: ErrorCode.BAD_USER_INPUT, ...(error.field ? { field: error.field } : {}) },
    });
  }
  if (error instanceof MembershipAlreadyExistsError || error instanceof MembershipLimitReachedError) {
    return gatewayError(ErrorCode.CONFLICT, error.message);
  }
  return error;
}

/**
 * graphql-js refuses a request whose variables do not fit their types (or that names no operation
 * it holds) with errors that carry no code, before anything runs. Those are the caller's input:
 * BAD_USER_INPUT, like every other refusal of what the caller sent.
 */
export function codeRequestErrors(result: { data?: unknown; errors?: readonly GraphQLError[] }): readonly GraphQLError[] | undefined {
  if (result.data !== undefined || !result.errors?.some((error) => error.extensions?.code === undefined)) return undefined;
  return result.errors.map((error) =>
    error.extensions?.code === undefined
      ? new GraphQLError(error.message, {
          nodes: error.nodes,
          source: error.source,
          positions: error.positions,
          path: error.path,
          originalError: error.originalError,
          extensions: { ...error.extensions, code: ErrorCode.BAD_USER_INPUT },
        })
      : error,
  );
}
