/**
 * The fleet's quota in Redis: one sliding log of call starts for every replica, a second one for
 * bulk work, the shared 429 pause, and the replicas that announced themselves alive.
 *
 * The rule is a sliding log, not a fixed window: a fixed window (as `rate-limiter-flexible`'s
 * Redis limiter counts) lets twice the rate through around a window edge, which is exactly when
 * Elastic Path answers 429. No maintained library keeps a sliding window in Redis, so one small
 * Lua script does: it drops starts older than a second, compares the count with the limit, and
 * records the new start, in one atomic step on Redis's own clock (so replicas' clocks never
 * matter). Each start is its own entry, so the window holds exactly, at one round trip per call.
 *
 * The client never lets a call queue behind a dead Redis: no offline queue, a command timeout, no
 * retries inside a request; it reconnects in the background. Whoever calls this falls back to a
 * local share when a command fails (`quota.ts`). The client library is loaded only with REDIS_URL,
 * so a gateway without it does not pay for it at start-up.
 */
import type { Redis } from 'ioredis';
import { COOLDOWN_BASE_MS, COOLDOWN_MAX_MS, COOLDOWN_MEMORY_MS } from './cooldown.js';

/** Why a call may not start yet. */
export type HoldReason = 'rate' | 'bulk' | 'cooldown';

export type Verdict =
  /** `at`: when the start was counted, in Unix milliseconds, on Redis's clock (shared) or this process's (local). */
  { granted: true; at: number } | { granted: false; waitMs: number; reason: HoldReason };

/** Keys share one hash tag, so a Redis Cluster keeps them on one node (a script's keys must be). */
const PREFIX = 'ep-gateway:{quota}:';
export const QUOTA_KEYS = {
  starts: `${PREFIX}starts`,
  bulk: `${PREFIX}bulk`,
  cooldown: `${PREFIX}cooldown`,
  level: `${PREFIX}cooldown-level`,
  replicas: `${PREFIX}replicas`,
};

/** How long a replica counts as alive after it last announced itself; it announces every second. */
export const ANNOUNCE_EVERY_MS = 1_000;
const ALIVE_FOR_MS = 3_000;

// Times in microseconds from Redis TIME: exact in Lua's doubles (below 2^53).
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cool = redis.call('PTTL', KEYS[3])
if cool > 0 then return {0, cool * 1000, 'cooldown'} end
local function wait(key, limit)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - 1000000)
  local count = redis.call('ZCARD', key)
  if count < limit then return 0 end
  local leaving = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
  return math.max(1000, tonumber(leaving[2]) + 1000000 - now)
end
local limit = tonumber(ARGV[1])
local bulkLimit = tonumber(ARGV[2])
local w = wait(KEYS[1], limit)
if w > 0 then return {0, w, 'rate'} end
if bulkLimit > 0 then
  w = wait(KEYS[2], bulkLimit)
  if w > 0 then return {0, w, 'bulk'} end
  redis.call('ZADD', KEYS[2], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[2], 2000)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], 2000)
return {1, now, 'ok'}
`;

// Both ends from one reading of TIME: a relative PX reads the clock per command, so the memory
// could end a millisecond short of its 5 s past the pause.
const COOL = `
if redis.call('PTTL', KEYS[1]) > 0 then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local level = tonumber(redis.call('GET', KEYS[2]) or '0') + 1
local ms = math.min(tonumber(ARGV[2]), tonumber(ARGV[1]) * 2 ^ (level - 1))
redis.call('SET', KEYS[2], level, 'PXAT', now + ms + tonumber(ARGV[3]))
redis.call('SET', KEYS[1], '1', 'PXAT', now + ms)
return ms
`;

const ANNOUNCE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if ARGV[2] == '0' then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + 1000)
return redis.call('ZCARD', KEYS[1])
`;

interface QuotaCommands {
  quotaTake(
    starts: string,
    bulk: string,
    cooldown: string,
    limit: number,
    bulkLimit: number,
    entry: string,
  ): Promise<[number, number, string]>;
  quotaCool(cooldown: string, level: string, baseMs: number, maxMs: number, memoryMs: number): Promise<number>;
  quotaAnnounce(replicas: string, replica: string, aliveMs: number): Promise<number>;
}

export interface RedisQuotaSettings {
  url: string;
  timeoutMs: number;
  /** Starts in any sliding second, fleet-wide. */
  limit: number;
  /** Bulk starts in any sliding second, fleet-wide. */
  bulkLimit: number;
}

export class RedisQuota {
  private readonly commands: QuotaCommands;
  private sequence = 0;

  /** Loads the client and starts connecting; commands fail fast until it is connected. */
  static async connect(settings: RedisQuotaSettings, replica: string, onError: (error: Error) => void): Promise<RedisQuota> {
    const { Redis } = await import('ioredis');
    const redis = new Redis(settings.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: settings.timeoutMs,
      connectTimeout: Math.max(1_000, settings.timeoutMs),
      autoResendUnfulfilledCommands: false,
      // Reconnects in the background forever, at most a second apart.
      retryStrategy: (times) => Math.min(times * 100, 1_000),
    });
    // Failed commands say what went wrong; the connection's own errors are only worth a debug line.
    redis.on('error', onError);
    redis.defineCommand('quotaTake', { numberOfKeys: 3, lua: TAKE });
    redis.defineCommand('quotaCool', { numberOfKeys: 2, lua: COOL });
    redis.defineCommand('quotaAnnounce', { numberOfKeys: 1, lua: ANNOUNCE });
    return new RedisQuota(settings, replica, redis);
  }

  private constructor(
    private readonly settings: RedisQuotaSettings,
    /** This replica's name in the announcements and in each start's entry. */
    private readonly replica: string,
    private readonly redis: Redis,
  ) {
    this.commands = redis as unknown as QuotaCommands;
  }

  /** Connected and usable: a command sent now is not refused outright. */
  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  /** Records a start when the fleet's window has room; rejects when Redis fails or is slow. */
  async take(bulk: boolean): Promise<Verdict> {
    this.sequence += 1;
    const [granted, microseconds, reason] = await this.commands.quotaTake(
      QUOTA_KEYS.starts,
      QUOTA_KEYS.bulk,
      QUOTA_KEYS.cooldown,
      this.settings.limit,
      bulk ? this.settings.bulkLimit : 0,
      `${this.replica}:${this.sequence}`,
    );
    if (granted === 1) return { granted: true, at: microseconds / 1000 };
    return { granted: false, waitMs: Math.max(1, microseconds / 1000), reason: reason as HoldReason };
  }

  /** Starts the fleet's pause after a 429; resolves with its length (0: one was already on). */
  coolDown(): Promise<number> {
    return this.commands.quotaCool(QUOTA_KEYS.cooldown, QUOTA_KEYS.level, COOLDOWN_BASE_MS, COOLDOWN_MAX_MS, COOLDOWN_MEMORY_MS);
  }

  /** Says this replica is alive for a few seconds more; resolves with the replicas alive. */
  announce(): Promise<number> {
    return this.commands.quotaAnnounce(QUOTA_KEYS.replicas, this.replica, ALIVE_FOR_MS);
  }

  async close(): Promise<void> {
    try {
      if (this.ready) await this.commands.quotaAnnounce(QUOTA_KEYS.replicas, this.replica, 0);
    } catch {
      // It will expire.
    }
    this.redis.disconnect();
  }
}
