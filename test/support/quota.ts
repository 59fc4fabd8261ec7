/**
 * A quota under test, in this process: the settings it starts from, an observer that writes what it
 * is told as lines, calls whose endings are written in the order they end, and deadline signals made
 * as the gateway makes them (`requestDeadline`), so the quota sees when each one expires, and a
 * logger that keeps its lines.
 */
import type { GraphQLError } from 'graphql';
import { requestDeadline, WHEN_CALLER_GOES } from '../../src/http/deadline.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import type { Quota, QuotaKind, QuotaObserver, QuotaSettings } from '../../src/upstream/quota/quota.js';

export function quotaSettings(overrides: Partial<QuotaSettings> = {}): QuotaSettings {
  return {
    epApiMaxRps: 10,
    epApiBulkShare: 50,
    redisUrl: undefined,
    redisTimeoutMs: 1_000,
    epFleetSize: 1,
    epApiTimeoutMs: 10_000,
    ...overrides,
  };
}

/** What the observer was told, one line each: `granted bulk 1000`, `held rate`, `refused cooldown`, `cooledDown`. */
export function recordingObserver(): { observer: QuotaObserver; events: string[] } {
  const events: string[] = [];
  const observer: QuotaObserver = {
    granted: (kind, waitedMs) => events.push(`granted ${kind} ${waitedMs}`),
    held: (reason) => events.push(`held ${reason}`),
    refused: (reason) => events.push(`refused ${reason}`),
    cooledDown: () => events.push('cooledDown'),
  };
  return { observer, events };
}

export interface Calls {
  /** How each call ended, in the order they ended: `label started @ms` or `label CODE @ms`. */
  ended: string[];
  /** The errors calls ended with, by label. */
  errors: Map<string, GraphQLError>;
  take(label: string, kind?: QuotaKind, authorization?: string, signal?: AbortSignal): Promise<void>;
}

/** Calls through `quota`; `clock` stamps when each ended. */
export function callsThrough(quota: Quota, clock: () => number): Calls {
  const ended: string[] = [];
  const errors = new Map<string, GraphQLError>();
  return {
    ended,
    errors,
    take: (label, kind = 'interactive', authorization = 'Bearer caller', signal = undefined) =>
      quota.take(kind, authorization, signal).then((error) => {
        if (error) errors.set(label, error);
        ended.push(`${label} ${error ? String(error.extensions.code) : 'started'} @${clock()}`);
      }),
  };
}

/** An operation's deadline signal, `timeoutMs` from now, whose caller can also go away. */
export function deadline(timeoutMs: number): { signal: AbortSignal; leave(reason?: unknown): void } {
  let gone: (reason?: unknown) => void = () => {};
  const request = Object.assign(new Request('http://quota.test/graphql'), {
    [WHEN_CALLER_GOES]: (callback: (reason?: unknown) => void) => {
      gone = callback;
    },
  });
  const { signal } = requestDeadline(request, timeoutMs, 0);
  return { signal, leave: (reason) => gone(reason) };
}

/** A logger (the gateway's own) that keeps each line as `level message`, with its fields. */
export function recordingLogger(): { logger: Logger; lines: Array<{ line: string; fields: Record<string, unknown> }> } {
  const lines: Array<{ line: string; fields: Record<string, unknown> }> = [];
  const names: Record<number, string> = { 20: 'debug', 30: 'info', 40: 'warn', 50: 'error' };
  const logger = createLogger('debug', {
    write(text: string) {
      const fields = JSON.parse(text) as Record<string, unknown> & { level: number; msg: string };
      lines.push({ line: `${names[fields.level] ?? fields.level} ${fields.msg}`, fields });
    },
  });
  return { logger, lines };
}
