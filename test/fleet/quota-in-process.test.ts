/**
 * The shared quota in this process, against a real Redis: two quotas stand for two replicas. They
 * share one limit and one bulk share, pause together after a 429, count each other alive, fall
 * back to a local share (logged once) while Redis is down, and share again once it is back; the
 * script's own answers (waits, the pause's doubling and memory, the replicas) are read through
 * `RedisQuota` and Redis itself. Time is real here: a wait is asserted from below, or through the
 * order and number of starts, and the times the window counted (Redis's clock) are compared with
 * Redis's clock, never with a margin.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createQuota, QUOTA_STARTS_CHANNEL, type Quota, type QuotaKind, type QuotaStart } from '../../src/upstream/quota/quota.js';
import { RedisQuota } from '../../src/upstream/quota/redis-quota.js';
import { busiestSecond } from '../support/counting-upstream.js';
import { deadline, quotaSettings, recordingLogger, recordingObserver } from '../support/quota.js';
import { startRedis, type TestRedis } from '../support/redis.js';

/** The keys `redis-quota.ts` keeps, read here to see the pause's memory and the replicas alive. */
const KEYS = {
  starts: 'ep-gateway:{quota}:starts',
  bulk: 'ep-gateway:{quota}:bulk',
  cooldown: 'ep-gateway:{quota}:cooldown',
  level: 'ep-gateway:{quota}:cooldown-level',
  replicas: 'ep-gateway:{quota}:replicas',
};

let redis: TestRedis;
let client: Redis;
let closing: Array<{ close(): Promise<void> }> = [];
let starts: QuotaStart[] = [];
const recordStart = (message: unknown) => starts.push(message as QuotaStart);

/** Redis's clock, in Unix milliseconds. */
async function redisNow(): Promise<number> {
  const [seconds, micros] = await client.time();
  return Number(seconds) * 1000 + Number(micros) / 1000;
}

const expiryOf = async (key: string) => Number(await client.call('PEXPIRETIME', key));

function replica(settings: Parameters<typeof quotaSettings>[0] = {}) {
  const { observer, events } = recordingObserver();
  const { logger, lines } = recordingLogger();
  const quota = createQuota(quotaSettings({ redisUrl: redis.url, ...settings }), { observer, logger });
  closing.push(quota);
  const count = (event: string) => events.filter((each) => each === event).length;
  return { quota, events, lines, count };
}

/** Every quota decides in Redis and has seen `replicas` alive, as of its latest announcement. */
async function shared(quotas: Quota[], replicas = quotas.length): Promise<void> {
  await vi.waitFor(
    () => {
      for (const quota of quotas) expect(quota.stats()).toMatchObject({ mode: 'shared', replicas });
    },
    { timeout: 20_000, interval: 20 },
  );
}

const takes = (quota: Quota, kind: QuotaKind, count: number, authorization = 'Bearer caller') =>
  Array.from({ length: count }, () => quota.take(kind, authorization, undefined));

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  // Its reconnection errors while the test stops Redis say nothing the test needs.
  client.on('error', () => {});
  await client.connect();
}, 60_000);

afterAll(async () => {
  client?.disconnect();
  await redis?.close();
});

beforeEach(async () => {
  await client.flushall();
  starts = [];
  subscribe(QUOTA_STARTS_CHANNEL, recordStart);
});

afterEach(async () => {
  unsubscribe(QUOTA_STARTS_CHANNEL, recordStart);
  await Promise.all(closing.map((each) => each.close()));
  closing = [];
});

describe('two replicas, one Redis', () => {
  it('share one EP_API_MAX_RPS: of six calls at once, three start, the rest a second after the first', async () => {
    // A local share would be 3 each: 6 at once.
    const a = replica({ epApiMaxRps: 3 });
    const b = replica({ epApiMaxRps: 3 });
    await shared([a.quota, b.quota]);
    const before = Date.now();
    const results = await Promise.all([...takes(a.quota, 'interactive', 3), ...takes(b.quota, 'interactive', 3)]);
    const after = Date.now();
    expect(results).toEqual(Array(6).fill(undefined));
    expect(a.count('granted interactive 0') + b.count('granted interactive 0')).toBe(3);
    expect(a.count('held rate') + b.count('held rate')).toBe(3);
    const times = starts.map((start) => start.at).sort((x, y) => x - y);
    expect(starts.map((start) => start.mode)).toEqual(Array(6).fill('shared'));
    expect(busiestSecond(times)).toBe(3);
    expect(times[3]).toBeGreaterThanOrEqual((times[0] ?? 0) + 1000);
    // Counted on Redis's clock, in Unix milliseconds.
    expect(times[0]).toBeGreaterThanOrEqual(before);
    expect(times[5]).toBeLessThanOrEqual(after + 1);
  });

  it('share one bulk share, which holds only bulk calls', async () => {
    // 20% of 10 is 2 bulk starts a second for the fleet; a local share would give each replica 2.
    const a = replica({ epApiMaxRps: 10, epApiBulkShare: 20 });
    const b = replica({ epApiMaxRps: 10, epApiBulkShare: 20 });
    await shared([a.quota, b.quota]);
    await Promise.all([
      ...takes(a.quota, 'bulk', 2),
      ...takes(b.quota, 'bulk', 2),
      ...takes(a.quota, 'interactive', 2),
      ...takes(b.quota, 'interactive', 2),
    ]);
    expect(a.count('granted bulk 0') + b.count('granted bulk 0')).toBe(2);
    expect(a.count('held bulk') + b.count('held bulk')).toBe(2);
    expect(a.count('granted interactive 0') + b.count('granted interactive 0')).toBe(4);
    expect(busiestSecond(starts.filter((start) => start.kind === 'bulk').map((start) => start.at))).toBe(2);
    // Redis's bulk window: the last two, the first two having left it.
    expect(await client.zcard(KEYS.bulk)).toBe(2);
  });

  it('pause together after a 429 either of them met, in Redis for the fleet', async () => {
    const a = replica();
    const b = replica();
    await shared([a.quota, b.quota]);
    a.quota.tooMany();
    expect(a.events).toEqual(['cooledDown']);
    await vi.waitFor(async () => expect(await client.pttl(KEYS.cooldown)).toBeGreaterThan(0), { interval: 5 });
    const ends = await expiryOf(KEYS.cooldown);
    expect(await b.quota.take('interactive', 'Bearer caller', undefined)).toBeUndefined();
    expect(b.events).toEqual(['held cooldown', expect.stringMatching(/^granted interactive /)]);
    // B started when the pause in Redis had ended.
    expect(starts[0]?.at).toBeGreaterThanOrEqual(ends);
  });

  it('estimate a waiting call’s turn at its replica’s part of the limit, refusing it at once when that passes its deadline', async () => {
    // 4 a second for two replicas: 2 a second each once the window is full.
    const a = replica({ epApiMaxRps: 4 });
    const b = replica({ epApiMaxRps: 4 });
    await shared([a.quota, b.quota]);
    await Promise.all(takes(a.quota, 'interactive', 4));
    void a.quota.take('interactive', 'Bearer caller', undefined);
    await vi.waitFor(() => expect(a.quota.stats().waiting).toBe(1), { interval: 5 });
    for (let i = 0; i < 3; i += 1) void a.quota.take('interactive', 'Bearer caller', undefined);
    // Four calls ahead at 2 a second: its turn is 2 s or more away, past its deadline.
    const refused = await a.quota.take('interactive', 'Bearer caller', deadline(1900).signal);
    expect(refused?.extensions.code).toBe('RATE_LIMITED');
    // The same four ahead, after a block of at most a second: 3 s at most, within this one's.
    void a.quota.take('interactive', 'Bearer caller', deadline(3500).signal);
    expect(a.quota.stats().waiting).toBe(5);
    expect(a.events.slice(4)).toEqual([...Array(5).fill('held rate'), 'refused rate', 'held rate']);
  });

  it('publish a start counted in Redis as shared, from the first one on', async () => {
    const a = replica({ epApiMaxRps: 100 });
    // Until the client is connected, starts are decided locally; the first one Redis counts is shared.
    await vi.waitFor(
      async () => {
        await a.quota.take('interactive', 'Bearer caller', undefined);
        expect(await client.zcard(KEYS.starts)).toBeGreaterThan(0);
      },
      { timeout: 20_000, interval: 5 },
    );
    expect(starts.filter((start) => start.mode === 'shared')).toHaveLength(1);
    // Before it, the client was seen not connected: no command was sent to fail.
    for (const { fields } of a.lines.filter(({ line }) => line.startsWith('warn'))) expect(fields.reason).toBe('Redis is not connected');
    expect(starts.at(-1)?.mode).toBe('shared');
    expect(a.quota.stats().mode).toBe('shared');
  });

  it('count each other alive, and one that closes leaves the count at once', async () => {
    const a = replica();
    const b = replica();
    await shared([a.quota, b.quota]);
    expect(await client.zcard(KEYS.replicas)).toBe(2);
    await b.quota.close();
    expect(await client.zcard(KEYS.replicas)).toBe(1);
    await shared([a.quota], 1);
    await a.quota.close();
    // Both closed their connections: only this test's client is left.
    await vi.waitFor(
      async () =>
        expect(
          String(await client.client('LIST'))
            .trim()
            .split('\n'),
        ).toHaveLength(1),
      { interval: 20 },
    );
  });
});

describe('Redis down', () => {
  it('falls back to a share of the replicas last seen, keeping the starts Redis counted, logged once, and shares again once Redis is back', async () => {
    // A share of 4 (8 ÷ the 2 replicas last seen), 2 of it for bulk work.
    const a = replica({ epApiMaxRps: 8, epApiBulkShare: 50 });
    // A replica with neither logger nor observer carries on all the same.
    const b = createQuota(quotaSettings({ redisUrl: redis.url, epApiMaxRps: 8 }));
    closing.push(b);
    await shared([a.quota, b]);
    const switches = () => a.lines.filter(({ line }) => !line.startsWith('debug')).map(({ line }) => line);
    expect(a.lines.filter(({ line }) => line.startsWith('info')).at(-1)?.fields).toMatchObject({ quota: 'shared' });
    const logged = switches().length;
    await Promise.all([...takes(a.quota, 'interactive', 1), ...takes(a.quota, 'bulk', 1)]);

    // Within the second of those two starts, Redis goes: this replica's own window still holds them.
    await redis.stop();
    const take = (kind: QuotaKind) => a.quota.take(kind, 'Bearer caller', undefined);
    const waiting = [take('bulk')];
    await vi.waitFor(() => expect(a.events).toHaveLength(3), { interval: 5 });
    waiting.push(take('bulk'));
    await vi.waitFor(() => expect(a.events).toHaveLength(4), { interval: 5 });
    waiting.push(take('interactive'));
    await vi.waitFor(() => expect(a.events).toHaveLength(5), { interval: 5 });
    waiting.push(take('interactive'));
    await vi.waitFor(() => expect(a.events).toHaveLength(6), { interval: 5 });
    expect(a.events).toEqual([
      'granted interactive 0',
      'granted bulk 0',
      'granted bulk 0',
      'held bulk',
      'granted interactive 0',
      'held rate',
    ]);
    expect(await Promise.all([...waiting, b.take('interactive', 'Bearer caller', undefined)])).toEqual(Array(5).fill(undefined));
    expect(starts.slice(2).map((start) => start.mode)).toEqual(Array(5).fill('local'));

    await vi.waitFor(() => expect([a.quota.stats().mode, b.stats().mode]).toEqual(['local', 'local']), { timeout: 20_000, interval: 20 });
    expect(switches().slice(logged)).toEqual(['warn upstream quota local: Redis unavailable']);
    expect(a.lines.filter(({ line }) => line.startsWith('warn')).at(-1)?.fields).toMatchObject({
      quota: 'local',
      replicas: 2,
      share: 4,
      // Seen not connected, or a command cut short by the stop.
      reason: expect.stringMatching(/^(Redis is not connected|Connection is closed\.)$/),
    });
    expect(a.lines.find(({ line }) => line === 'debug redis connection error')?.fields).toMatchObject({
      err: { message: expect.any(String) },
    });

    await redis.start();
    await shared([a.quota, b]);
    expect(switches().slice(logged)).toEqual(['warn upstream quota local: Redis unavailable', 'info upstream quota shared through Redis']);
    expect(a.lines.at(-1)?.fields).toMatchObject({ quota: 'shared', replicas: expect.any(Number) });
    starts = [];
    await Promise.all([...takes(a.quota, 'interactive', 1), ...takes(b, 'interactive', 1)]);
    expect(starts.map((start) => start.mode)).toEqual(['shared', 'shared']);
  }, 90_000);

  it('logs the local share once when Redis never answers at all', async () => {
    // Nothing listens on port 1.
    const a = replica({ redisUrl: 'redis://127.0.0.1:1', epApiMaxRps: 8, epFleetSize: 2 });
    await vi.waitFor(() => expect(a.lines.filter(({ line }) => line.startsWith('warn'))).toHaveLength(1), {
      timeout: 20_000,
      interval: 20,
    });
    expect(a.lines.find(({ line }) => line.startsWith('warn'))?.fields).toMatchObject({
      quota: 'local',
      replicas: 1,
      share: 4,
      reason: 'Redis is not connected',
    });
    expect(a.quota.stats()).toEqual({ mode: 'local', replicas: 1, waiting: 0 });
    expect(await a.quota.take('interactive', 'Bearer caller', undefined)).toBeUndefined();
    expect(a.lines.filter(({ line }) => !line.startsWith('debug'))).toHaveLength(1);
  });

  it('decides a call locally when Redis stops answering for REDIS_TIMEOUT_MS', async () => {
    const a = replica({ epApiMaxRps: 8, redisTimeoutMs: 300 });
    await shared([a.quota]);
    const pid = Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
    process.kill(pid, 'SIGSTOP');
    try {
      const before = performance.now();
      expect(await a.quota.take('interactive', 'Bearer caller', undefined)).toBeUndefined();
      expect(performance.now() - before).toBeGreaterThanOrEqual(299);
      expect(a.quota.stats().mode).toBe('local');
      expect(starts.map((start) => start.mode)).toEqual(['local']);
      expect(a.lines.at(-1)).toMatchObject({
        line: 'warn upstream quota local: Redis unavailable',
        fields: { reason: 'Command timed out' },
      });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });
});

describe('the script in Redis', () => {
  async function connected(settings: { limit: number; bulkLimit: number }, replica = 'replica-1'): Promise<RedisQuota> {
    const quota = await RedisQuota.connect({ url: redis.url, timeoutMs: 1_000, ...settings }, replica, () => {});
    closing.push(quota);
    await vi.waitFor(() => expect(quota.ready).toBe(true), { interval: 5 });
    return quota;
  }

  it('answers how long until the window, or the bulk share, has room, on Redis’s clock', async () => {
    const quota = await connected({ limit: 2, bulkLimit: 1 });
    const before = await redisNow();
    const first = await quota.take(true);
    const bulkHeld = await quota.take(true);
    const second = await quota.take(false);
    const rateHeld = await quota.take(false);
    const after = await redisNow();
    if (!first.granted || !second.granted || bulkHeld.granted || rateHeld.granted) throw new Error(`unexpected verdicts`);
    expect(first.at).toBeGreaterThanOrEqual(before);
    expect(second.at).toBeLessThanOrEqual(after);
    // Until the first start is a second old, asked after it (the window's, after the second) and before `after`.
    for (const held of [bulkHeld, rateHeld]) expect(held.waitMs).toBeGreaterThanOrEqual(first.at + 1000 - after - 0.001);
    expect(bulkHeld.waitMs).toBeLessThanOrEqual(1000);
    expect(rateHeld.waitMs).toBeLessThanOrEqual(first.at + 1000 - second.at + 0.001);
    expect([bulkHeld.reason, rateHeld.reason]).toEqual(['bulk', 'rate']);
  });

  it('refuses commands until it is connected, instead of queueing them', async () => {
    const quota = await RedisQuota.connect({ url: redis.url, timeoutMs: 1_000, limit: 10, bulkLimit: 5 }, 'replica-1', () => {});
    closing.push(quota);
    expect(quota.ready).toBe(false);
    await expect(quota.take(false)).rejects.toThrow();
    expect(await client.exists(KEYS.starts)).toBe(0);
  });

  it('keeps the pause, doubled up to 8 s while remembered, and its memory 5 s past its end', async () => {
    const quota = await connected({ limit: 10, bulkLimit: 5 });
    expect(await quota.coolDown()).toBe(500);
    expect(await quota.coolDown()).toBe(0);
    const held = await quota.take(false);
    expect(held).toMatchObject({ granted: false, reason: 'cooldown' });
    expect(held.granted || held.waitMs <= 500).toBe(true);
    expect(await client.get(KEYS.level)).toBe('1');
    expect((await expiryOf(KEYS.level)) - (await expiryOf(KEYS.cooldown))).toBe(5000);
    // The pause ends (sooner than its time, to keep the test short): the next 429 doubles it.
    await client.del(KEYS.cooldown);
    expect(await quota.coolDown()).toBe(1000);
    expect(await client.get(KEYS.level)).toBe('2');
    await client.set(KEYS.level, '6', 'KEEPTTL');
    await client.del(KEYS.cooldown);
    expect(await quota.coolDown()).toBe(8000);
    // Forgotten: from 500 ms again.
    await client.del(KEYS.cooldown, KEYS.level);
    expect(await quota.coolDown()).toBe(500);
  });

  it('counts the replicas that announced themselves, and forgets one that closes', async () => {
    const one = await connected({ limit: 10, bulkLimit: 5 }, 'replica-1');
    const two = await connected({ limit: 10, bulkLimit: 5 }, 'replica-2');
    expect(await one.announce()).toBe(1);
    expect(await two.announce()).toBe(2);
    expect(await one.announce()).toBe(2);
    await two.close();
    expect(await one.announce()).toBe(1);
  });
});
