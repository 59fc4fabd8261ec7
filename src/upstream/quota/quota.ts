/**
 * Elastic Path's rate limit as this replica sees it: when each upstream attempt may start.
 *
 * - The limit: EP_API_MAX_RPS starts in any sliding second. With REDIS_URL that is the whole
 *   fleet's budget, held in Redis (`redis-quota.ts`); without it, this process's own.
 * - Bulk work (`ensureAccountMemberships`, or an operation estimated above
 *   EP_API_BULK_ESTIMATE_CALLS) may use at most EP_API_BULK_SHARE percent of it, so that single
 *   operations keep flowing while a bulk add runs anywhere in the fleet.
 * - A 429 pauses every start for a while (`cooldown.ts`), fleet-wide through Redis.
 * - Calls that have to wait are served caller by caller in turn (keyed by a hash of the
 *   credentials, never the credentials), so one caller's burst does not starve the others; a call
 *   whose wait would pass its operation's deadline is refused at once with RATE_LIMITED.
 * - Redis down, slow or refused by its own breaker: the call is decided locally instead, against
 *   a share of the limit, EP_API_MAX_RPS ÷ max(EP_FLEET_SIZE, replicas last seen alive). This
 *   process's own starts are always recorded, so switching either way keeps the window. Each
 *   switch is logged once; `stats()` gives the mode for the metrics.
 */
import { createHash, randomUUID } from 'node:crypto';
import { channel } from 'node:diagnostics_channel';
import type { GraphQLError } from 'graphql';
import type { Config } from '../../config.js';
import { expiryOf } from '../../http/deadline.js';
import { deadlineError, quotaExhausted } from '../../domain/errors.js';
import type { Logger } from '../../observability/logger.js';
import { CircuitBreaker } from '../breaker.js';
import { Cooldown } from './cooldown.js';
import { ANNOUNCE_EVERY_MS, RedisQuota, type HoldReason, type Verdict } from './redis-quota.js';
import { SlidingLog } from './sliding-log.js';

export type QuotaSettings = Pick<
  Config,
  'epApiMaxRps' | 'epApiBulkShare' | 'redisUrl' | 'redisTimeoutMs' | 'epFleetSize' | 'epApiTimeoutMs'
>;

export type QuotaKind = 'bulk' | 'interactive';

/** 'shared': decided in Redis with the fleet; 'local': this replica's share, decided here. */
export type QuotaMode = 'shared' | 'local';

/** Told what the quota does, for the metrics. */
export interface QuotaObserver {
  /** A start was granted, after waiting `waitedMs` (0 when it went at once). */
  granted(kind: QuotaKind, waitedMs: number): void;
  /** A call had to wait, for this reason. */
  held(reason: HoldReason): void;
  /** A call was refused: its wait, for this reason, would have passed its deadline. */
  refused(reason: HoldReason): void;
  /** This replica started a pause after a 429. */
  cooledDown(): void;
}

export interface QuotaStats {
  mode: QuotaMode;
  /** Replicas alive at the last announcement (1 without Redis). */
  replicas: number;
  /** Calls waiting for the quota. */
  waiting: number;
}

export interface Quota {
  /**
   * Resolves with nothing when the attempt may start (it is counted), or with the error to answer:
   * RATE_LIMITED when the wait would pass the operation's deadline, or the deadline's own error
   * when the caller went away while it waited.
   */
  take(kind: QuotaKind, authorization: string, signal: AbortSignal | undefined): Promise<GraphQLError | undefined>;
  /** Elastic Path answered 429: pause starts, fleet-wide when Redis is there. */
  tooMany(): void;
  stats(): QuotaStats;
  close(): Promise<void>;
}

interface Waiter {
  readonly kind: QuotaKind;
  readonly caller: string;
  /** On `performance.now()`'s clock; Infinity without a deadline. */
  readonly expiry: number;
  readonly since: number;
  readonly signal: AbortSignal | undefined;
  held: boolean;
  settle(error: GraphQLError | undefined): void;
}

/** The calls of one kind waiting for the quota, one queue per caller, served in turn. */
class Lane {
  /** In turn order: the caller served next comes first. */
  readonly callers = new Map<string, Waiter[]>();
  size = 0;
  /** No start of this kind before this time (`performance.now()`), for `reason`. */
  blockedUntil = 0;
  reason: HoldReason = 'rate';

  constructor(readonly kind: QuotaKind) {}

  /** Adds a waiter; answers how many starts go before it when callers are served in turn. */
  add(waiter: Waiter): number {
    let queue = this.callers.get(waiter.caller);
    if (!queue) this.callers.set(waiter.caller, (queue = []));
    const position = queue.length;
    queue.push(waiter);
    this.size += 1;
    let ahead = 0;
    for (const [caller, others] of this.callers) if (caller !== waiter.caller) ahead += Math.min(others.length, position + 1);
    return ahead + position;
  }

  next(): Waiter | undefined {
    for (const queue of this.callers.values()) return queue[0];
    return undefined;
  }

  /** Takes a waiter out; when it was served, its caller's turn passes to the next caller. */
  remove(waiter: Waiter, served: boolean): boolean {
    const queue = this.callers.get(waiter.caller);
    const index = queue?.indexOf(waiter) ?? -1;
    if (!queue || index < 0) return false;
    queue.splice(index, 1);
    this.size -= 1;
    if (queue.length === 0 || served) this.callers.delete(waiter.caller);
    if (queue.length > 0 && served) this.callers.set(waiter.caller, queue);
    return true;
  }

  *waiters(): Iterable<Waiter> {
    for (const queue of this.callers.values()) yield* queue;
  }
}

/** One start the quota granted, as published on `QUOTA_STARTS_CHANNEL`. */
export interface QuotaStart {
  kind: QuotaKind;
  /** When the window counted it, in Unix milliseconds: on Redis's clock when shared, this process's when local. */
  at: number;
  mode: QuotaMode;
}

/**
 * Every start, for whoever subscribes (`node:diagnostics_channel`; nothing is built while no one
 * does): the times the window counted, which prove it held, free of the jitter between a grant and
 * the call's arrival upstream. The fleet tests subscribe from a preloaded module.
 */
export const QUOTA_STARTS_CHANNEL = 'ep-gateway:upstream-quota-start';
const startsChannel = channel(QUOTA_STARTS_CHANNEL);

const FLEET_BREAKER = { failurePercent: 50, minCalls: 5, windowMs: 2_000, cooldownMs: 1_000 };

export function createQuota(settings: QuotaSettings, options: { logger?: Logger; observer?: QuotaObserver } = {}): Quota {
  const { logger, observer } = options;
  const limit = settings.epApiMaxRps;
  const bulkPart = (of: number) => Math.max(1, Math.floor((of * settings.epApiBulkShare) / 100));
  const own = new SlidingLog(limit);
  const ownBulk = new SlidingLog(limit);
  const cooldown = new Cooldown();
  const replica = randomUUID();
  const breaker = new CircuitBreaker(FLEET_BREAKER);
  let replicas = 1;
  let mode: QuotaMode = 'local';
  /** Whether a mode was logged yet: a Redis that never answers is logged too. */
  let decided = false;
  let closed = false;

  // Until the client is loaded and connected, calls are decided locally.
  let redis: RedisQuota | undefined;
  const connecting =
    settings.redisUrl === undefined
      ? undefined
      : RedisQuota.connect(
          { url: settings.redisUrl, timeoutMs: settings.redisTimeoutMs, limit, bulkLimit: bulkPart(limit) },
          replica,
          (error) => logger?.debug({ err: { message: error.message } }, 'redis connection error'),
        ).then(
          (connected) => {
            // `close` waits for this and closes it.
            redis = connected;
          },
          (error: unknown) => logger?.error({ err: error }, 'redis client could not be loaded: the quota stays local'),
        );
  const lanes = { interactive: new Lane('interactive'), bulk: new Lane('bulk') } as const;
  let pumping = false;
  let wake: (() => void) | undefined;
  let announcer: NodeJS.Timeout | undefined;

  function switchTo(next: QuotaMode, error?: unknown): void {
    if (decided && mode === next) return;
    decided = true;
    mode = next;
    if (next === 'shared') logger?.info({ quota: 'shared', replicas }, 'upstream quota shared through Redis');
    else {
      const reason = error instanceof Error ? error.message : 'Redis is not connected';
      logger?.warn({ quota: 'local', replicas, share: localLimit(), reason }, 'upstream quota local: Redis unavailable');
    }
  }

  function localLimit(): number {
    return Math.max(1, Math.floor(limit / Math.max(settings.epFleetSize, replicas)));
  }

  function localVerdict(bulk: boolean, now: number): Verdict {
    const pause = cooldown.remaining(now);
    if (pause > 0) return { granted: false, waitMs: pause, reason: 'cooldown' };
    const share = localLimit();
    const wait = own.waitFor(now, share);
    if (wait > 0) return { granted: false, waitMs: wait, reason: 'rate' };
    if (bulk) {
      const bulkWait = ownBulk.waitFor(now, bulkPart(share));
      if (bulkWait > 0) return { granted: false, waitMs: bulkWait, reason: 'bulk' };
      ownBulk.record(now);
    }
    own.record(now);
    return { granted: true, at: performance.timeOrigin + now };
  }

  /** Asks Redis when it can, else decides locally; a granted start is in this process's log either way. */
  async function verdict(bulk: boolean): Promise<Verdict> {
    if (redis) {
      const admission = breaker.admit();
      if (admission && redis.ready) {
        try {
          const answer = await redis.take(bulk);
          breaker.record(admission, 'healthy');
          switchTo('shared');
          if (answer.granted) {
            const now = performance.now();
            own.record(now);
            if (bulk) ownBulk.record(now);
          }
          return answer;
        } catch (error) {
          breaker.record(admission, 'unwell');
          switchTo('local', error);
        }
      } else {
        if (admission) breaker.record(admission, 'void');
        switchTo('local', admission ? undefined : new Error('Redis breaker open'));
      }
    }
    return localVerdict(bulk, performance.now());
  }

  async function announce(): Promise<void> {
    if (!redis || closed) return;
    const admission = breaker.admit();
    if (!admission || !redis.ready) {
      if (admission) breaker.record(admission, 'void');
      switchTo('local');
      return;
    }
    try {
      replicas = Math.max(1, await redis.announce());
      breaker.record(admission, 'healthy');
      switchTo('shared');
    } catch (error) {
      breaker.record(admission, 'unwell');
      switchTo('local', error);
    }
  }

  if (connecting) {
    announcer = setInterval(() => void announce(), ANNOUNCE_EVERY_MS);
    announcer.unref();
  }

  function started(kind: QuotaKind, answer: Extract<Verdict, { granted: true }>): void {
    if (startsChannel.hasSubscribers) startsChannel.publish({ kind, at: answer.at, mode } satisfies QuotaStart);
  }

  function refusal(waiter: Waiter): GraphQLError {
    const reason: unknown = waiter.signal?.reason;
    return reason instanceof Error && reason.name === 'TimeoutError'
      ? quotaExhausted()
      : deadlineError(waiter.signal, settings.epApiTimeoutMs);
  }

  function block(lane: Lane, answer: Exclude<Verdict, { granted: true }>, now: number): void {
    const until = now + answer.waitMs;
    // The fleet's window and a pause hold both kinds; the bulk share only bulk work.
    const blocked = answer.reason === 'bulk' ? [lane] : [lanes.interactive, lanes.bulk];
    for (const each of blocked) {
      if (until > each.blockedUntil) {
        each.blockedUntil = until;
        each.reason = answer.reason;
      }
      for (const waiter of [...each.waiters()]) {
        if (!waiter.held) {
          waiter.held = true;
          observer?.held(each.reason);
        }
        if (waiter.expiry < each.blockedUntil) {
          each.remove(waiter, false);
          observer?.refused(each.reason);
          waiter.settle(quotaExhausted());
        }
      }
    }
  }

  /** Serves waiting calls one start at a time, kinds in turn, until none waits. */
  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    let turn: QuotaKind = 'interactive';
    try {
      while (!closed && lanes.interactive.size + lanes.bulk.size > 0) {
        const now = performance.now();
        const other: QuotaKind = turn === 'interactive' ? 'bulk' : 'interactive';
        const ready = (kind: QuotaKind) => lanes[kind].size > 0 && lanes[kind].blockedUntil <= now;
        const kind: QuotaKind | undefined = ready(turn) ? turn : ready(other) ? other : undefined;
        if (kind === undefined) {
          const until = Math.min(...[lanes.interactive, lanes.bulk].filter((lane) => lane.size > 0).map((lane) => lane.blockedUntil));
          await sleep(Math.max(1, until - now));
          continue;
        }
        const lane = lanes[kind];
        const waiter = lane.next();
        if (!waiter) continue;
        const answer = await verdict(kind === 'bulk');
        if (answer.granted) {
          // The turn passes with a start, so that a kind the full window refused keeps it.
          turn = kind === 'interactive' ? 'bulk' : 'interactive';
          // Gone meanwhile (its caller left): the start is spent, as a call that failed would spend it.
          started(kind, answer);
          if (lane.remove(waiter, true)) {
            observer?.granted(kind, performance.now() - waiter.since);
            waiter.settle(undefined);
          }
        } else {
          block(lane, answer, performance.now());
        }
      }
    } finally {
      pumping = false;
    }
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async function take(kind: QuotaKind, authorization: string, signal: AbortSignal | undefined): Promise<GraphQLError | undefined> {
    const lane = lanes[kind];
    const since = performance.now();
    // Nobody waits ahead of it: straight to the window.
    if (lane.size === 0 && lane.blockedUntil <= since) {
      // Without Redis the window is this process's own: decided at once, with no promise to wait on.
      const answer = redis ? await verdict(kind === 'bulk') : localVerdict(kind === 'bulk', since);
      if (answer.granted) {
        started(kind, answer);
        observer?.granted(kind, 0);
        return undefined;
      }
      block(lane, answer, performance.now());
    }
    if (signal?.aborted) return deadlineError(signal, settings.epApiTimeoutMs);
    const expiry = expiryOf(signal) ?? Infinity;
    return new Promise<GraphQLError | undefined>((resolve) => {
      const waiter: Waiter = {
        kind,
        caller: createHash('sha256').update(authorization).digest('base64url'),
        expiry,
        since,
        signal,
        held: true,
        settle(error) {
          signal?.removeEventListener('abort', onAbort);
          resolve(error);
        },
      };
      const onAbort = () => {
        if (lane.remove(waiter, false)) waiter.settle(refusal(waiter));
      };
      const ahead = lane.add(waiter);
      observer?.held(lane.reason);
      // When it would start if the lane ran at this replica's rate from the end of the block on.
      const rate = kind === 'bulk' ? bulkPart(perReplica()) : perReplica();
      const estimate = Math.max(lane.blockedUntil, since) + (ahead * 1000) / rate;
      if (estimate > expiry) {
        lane.remove(waiter, false);
        observer?.refused(lane.reason);
        resolve(quotaExhausted());
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      // The pump may be asleep until the other lane's block ends, later than this one's.
      wake?.();
      void pump();
    });
  }

  function perReplica(): number {
    return mode === 'shared' ? Math.max(1, limit / replicas) : localLimit();
  }

  return {
    take,
    tooMany() {
      const started = cooldown.start(performance.now());
      if (started > 0) observer?.cooledDown();
      if (redis && mode === 'shared') {
        redis.coolDown().catch(() => {
          // The local pause above holds this replica; the others carry on within their shares.
        });
      }
    },
    stats: () => ({ mode, replicas, waiting: lanes.interactive.size + lanes.bulk.size }),
    async close() {
      closed = true;
      clearInterval(announcer);
      wake?.();
      for (const lane of [lanes.interactive, lanes.bulk]) {
        for (const waiter of [...lane.waiters()]) {
          lane.remove(waiter, false);
          waiter.settle(deadlineError(waiter.signal, settings.epApiTimeoutMs));
        }
      }
      await connecting;
      await redis?.close();
    },
  };
}
