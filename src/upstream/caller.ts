/**
 * One caller's calls to Elastic Path: each spends from the request's budget, shares the request's
 * reads, runs on the operation's signal (writes on the deadline's write signal), and maps the
 * statuses it declares (`StatusMeanings`); what every call shares (401, 403, 429, 5xx) is mapped in
 * `src/domain/errors.ts`. The account-management methods are built on it.
 */
import {
  NotFoundError,
  UpstreamStatusError,
  fromUpstream,
  inputRefused,
  malformed,
  missingToken,
  type StatusMeanings,
} from '../domain/errors.js';
import type { Deadline } from '../http/deadline.js';
import type { CallerCredentials, UpstreamClient, UpstreamRequest } from './client.js';
import type { OperationMeter, PageRequest, ReconciliationOutcome } from './account-management.js';
import { EVERY_READ, changedByMembershipWrite, type RequestReads } from './request-reads.js';
import type { UpstreamResponse } from './transport.js';

/** What every call of one operation shares: its deadline, its counters (with its trace), and its request's budget and reads. */
export interface CallScope extends Pick<UpstreamRequest, 'signal'> {
  /** The request's deadline: writes end before it with a reserve, in which a lost answer is looked up. */
  deadline?: Pick<Deadline, 'writeSignal' | 'lookupSignal'>;
  /** The operation's counters: calls and retries (the client's), reconciliations (this module's). */
  meter?: OperationMeter;
  /** The request's call budget: each call spends one first, and `spend` throws once none is left. */
  budget?: { spend(): void; readonly left: number };
  /** The request's reads, shared while no write could have changed them. */
  reads?: RequestReads;
}

/** A request as a method states it: the client adds the signal and the meter. */
export type CallRequest = Omit<UpstreamRequest, 'signal' | 'meter'>;

export interface Caller {
  /**
   * One call: its statuses mapped by `meanings`, its answer checked by `isExpected`. `own`
   * replaces the operation's signal (the lookup after a lost answer has its own).
   */
  call<T>(request: CallRequest, meanings: StatusMeanings, isExpected: (body: unknown) => body is T, own?: AbortSignal): Promise<T>;
  /** True when a read started now would find a call left in the budget and a connection slot free. */
  roomBeside(): boolean;
  /** Counts a lost write answer's lookup and what it found. */
  reconciled(outcome: ReconciliationOutcome): void;
  /** The signal the lookup after a lost write answer runs on. */
  lookupSignal(): AbortSignal | undefined;
}

export function createCaller(
  client: UpstreamClient,
  /** An error (credentials sent but refused, see `credentialsFrom`) is thrown by every call. */
  credentials: CallerCredentials | Error | null,
  scope: CallScope = {},
): Caller {
  const { signal, meter, budget, reads, deadline } = scope;

  /** `own` replaces the operation's signal (the lookup after a lost answer has its own). */
  function send(caller: CallerCredentials, request: CallRequest, own?: AbortSignal): Promise<UpstreamResponse> {
    const key = reads && request.method === 'GET' ? `${request.path} ${JSON.stringify(request.query ?? {})}` : undefined;
    const shared = key === undefined ? undefined : reads?.get(key);
    if (shared) return shared;
    budget?.spend();
    const isWrite = request.method !== 'GET';
    const response = client.send(caller, { ...request, signal: own ?? (isWrite ? deadline?.writeSignal : undefined) ?? signal, meter });
    // Every write this module makes is a membership's (POST or DELETE under account-memberships).
    if (isWrite) reads?.write(response, request.route.includes('/account-memberships') ? changedByMembershipWrite : EVERY_READ);
    else if (key !== undefined) reads?.set(key, response);
    return response;
  }

  async function call<T>(
    request: CallRequest,
    meanings: StatusMeanings,
    isExpected: (body: unknown) => body is T,
    own?: AbortSignal,
  ): Promise<T> {
    // Checked here, before any I/O, so a call without a token never leaves the gateway.
    if (!credentials) throw missingToken();
    if (credentials instanceof Error) throw credentials;
    let body: unknown;
    let status: number;
    try {
      ({ body, status } = await send(credentials, request, own));
    } catch (error) {
      throw error instanceof UpstreamStatusError ? fromUpstream(error.upstream, meanings) : error;
    }
    if (!isExpected(body)) throw malformed('an answer of an unexpected shape', status);
    return body;
  }

  function roomBeside(): boolean {
    return (!budget || budget.left > 0) && client.hasFreeSlot();
  }

  function reconciled(outcome: ReconciliationOutcome): void {
    if (!meter) return;
    const counts = (meter.reconciliations ??= {});
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }

  return { call, roomBeside, reconciled, lookupSignal: () => deadline?.lookupSignal() };
}

/** A 400 or 422: Elastic Path refused what the call sent (an id, a filter, a page); its reason is the message. */
export const INPUT_REFUSED: StatusMeanings = { 400: inputRefused, 422: inputRefused };

/** The detail of a 404 about the account in a path under it, rather than the record the path names. */
export const ACCOUNT_NOT_FOUND = 'account not found';

/** A list under one account, or the account itself: a 404 means the account does not exist. */
export const ofAccount = (accountId: string): StatusMeanings => ({
  ...INPUT_REFUSED,
  404: () => new NotFoundError('Account', accountId),
});
/** One membership: a 404 names the account when Elastic Path says so, otherwise the membership. */
export const ofMembership = (accountId: string, id: string): StatusMeanings => ({
  ...INPUT_REFUSED,
  404: ({ detail }) =>
    detail === ACCOUNT_NOT_FOUND ? new NotFoundError('Account', accountId) : new NotFoundError('AccountMembership', id),
});
/** One member, or a list under it: a 404 means the member does not exist. */
export const ofMember = (id: string): StatusMeanings => ({
  ...INPUT_REFUSED,
  404: () => new NotFoundError('AccountMember', id),
});
export const isNothing = (body: unknown): body is undefined => body === undefined;

/** `page[limit]`, `page[offset]` and, when there is one, the `filter` expression. */
export const pageQuery = ({ limit, offset }: PageRequest, filter?: string): Record<string, string | undefined> => ({
  'page[limit]': String(limit),
  'page[offset]': String(offset),
  filter,
});

/** `included.<key>`, when present, must be an array of well-formed records. */
export function includedOf(value: unknown, key: string, isItem: (item: unknown) => boolean): boolean {
  const included = (value as { included?: unknown }).included;
  if (included === undefined) return true;
  if (typeof included !== 'object' || included === null) return false;
  const items = (included as Record<string, unknown>)[key];
  return items === undefined || (Array.isArray(items) && items.every(isItem));
}
