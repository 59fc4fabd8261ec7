/**
 * What the operations of one HTTP request share (a batch's operations share one caller): one
 * deadline, which also ends when the caller goes away, one call budget, and the reads already
 * made. Made by the first operation's context; released with the response.
 */
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import { CallBudget } from '../cost/budget.js';
import { requestDeadline, type Deadline } from '../http/deadline.js';
import { RequestReads } from '../upstream/account-management.js';

export interface RequestScope {
  deadline: Deadline;
  budget: CallBudget;
  reads: RequestReads;
}

export interface RequestScopes {
  /** The request's scope, made on first use. */
  of(request: Request): RequestScope;
  /** Whether the request's caller went away (or its connection was cut) before the answer. */
  callerLeft(request: Request): boolean;
  /** Releases each scope with its response: keep-alive requests never abort their signal. */
  plugin: Plugin;
}

export function useRequestScopes(config: Config): RequestScopes {
  const scopes = new WeakMap<Request, RequestScope>();
  const reserveMs = lookupReserveMs(config);
  return {
    of(request) {
      let scope = scopes.get(request);
      if (!scope) {
        scope = {
          deadline: requestDeadline(request, config.operationTimeoutMs, reserveMs),
          budget: new CallBudget(config.maxUpstreamCalls),
          reads: new RequestReads(),
        };
        scopes.set(request, scope);
      }
      return scope;
    },
    callerLeft: (request) => scopes.get(request)?.deadline.callerLeft ?? false,
    plugin: {
      onResponse({ request }) {
        scopes.get(request)?.deadline.release();
        scopes.delete(request);
      },
    },
  };
}

/**
 * The time a write leaves, at the end of the deadline, to look up what it did if its answer is
 * lost: one lookup's worth (EP_API_TIMEOUT_MS), but never more than a quarter of the whole budget.
 */
function lookupReserveMs(config: Config): number {
  return Math.min(config.epApiTimeoutMs, Math.floor(config.operationTimeoutMs / 4));
}
