/**
 * A quota under test, in this process: the settings it starts from, an observer that writes what it
 * is told as lines, calls whose endings are written in the order they end, and deadline signals made
 * as the gateway makes them (`requestDeadline`), so the quota sees when each one expires, a logger
 * that keeps its lines, and quotas on Vitest's fake clock.
 */
import type { GraphQLError } from 'graphql';
import { afterEach, beforeEach, vi } from 'vitest';
import { requestDeadline, WHEN_CALLER_GOES } from '../../src/http/deadline.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import { createQuota, type Quota, type QuotaKind, type QuotaObserver, type QuotaSettings } from '../../src/upstream/quota/quota.js';

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

/**
 * Quotas on Vitest's fake clock (timers, `performance.now()` and `Date`), made with a recording
 * observer and closed after each test. Times are milliseconds since the test began.
 */
export function onFakeClock() {
  let t0 = 0;
  let quotas: Quota[] = [];
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'] });
    // Away from the clock's zero, so that a time and a duration cannot be mistaken for each other.
    vi.advanceTimersByTime(10_000);
    t0 = performance.now();
  });
  afterEach(async () => {
    await Promise.all(quotas.map((quota) => quota.close()));
    quotas = [];
    vi.useRealTimers();
  });
  const at = () => performance.now() - t0;
  const track = (quota: Quota) => {
    quotas.push(quota);
    return quota;
  };
  return {
    at,
    track,
    /** `performance.now()` when the test began. */
    startedAt: () => t0,
    flush: () => vi.advanceTimersByTimeAsync(0),
    advanceTo: (ms: number) => vi.advanceTimersByTimeAsync(t0 + ms - performance.now()),
    setUp(settings: Partial<QuotaSettings>) {
      const { observer, events } = recordingObserver();
      const quota = track(createQuota(quotaSettings(settings), { observer }));
      return { quota, events, ...callsThrough(quota, at) };
    },
  };
}
