/**
 * The membership events' memory in a real Redis, as two replicas share it: one atomic claim per
 * key (duplicates and tombstones decided there), routes, every entry with the expiry it was given,
 * and a claim given back when its event could not be published.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisEvents, type RedisEvents } from '../../src/events/redis-events.js';
import { createLogger } from '../../src/observability/logger.js';
import { startRedis, type TestRedis } from '../support/redis.js';

const TWO_HOURS_MS = 7_200_000;
let redis: TestRedis;
let replicas: RedisEvents[];
let inspector: Redis;

beforeAll(async () => {
  redis = await startRedis();
  replicas = [0, 1].map(() => createRedisEvents({ url: redis.url, timeoutMs: 1000 }, createLogger('silent')));
  inspector = new Redis(redis.url);
  // Both replicas' connections are up: their gauge says so.
  while (replicas.some((replica) => replica.connected() === 0)) await new Promise((resolve) => setTimeout(resolve, 10));
});
afterAll(async () => {
  inspector?.disconnect();
  await Promise.all(replicas?.map((replica) => replica.close()) ?? []);
  await redis?.close();
});

describe('the event store in Redis', () => {
  it('lets exactly one of many concurrent claims of a key win, across replicas', async () => {
    const [a, b] = replicas.map((replica) => replica.store);
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, index) => (index % 2 === 0 ? a! : b!).claim('CREATED:m-1', TWO_HOURS_MS)),
    );
    expect(outcomes.filter((outcome) => outcome === 'claimed')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'duplicate')).toHaveLength(9);
  });

  it('tombstones a create whose deletion one replica claimed, on the other replica', async () => {
    const [a, b] = replicas.map((replica) => replica.store);
    expect(await a!.claim('DELETED:m-2', TWO_HOURS_MS)).toBe('claimed');
    expect(await b!.claim('CREATED:m-2', TWO_HOURS_MS, 'DELETED:m-2')).toBe('tombstoned');
    expect(await b!.claim('CREATED:m-3', TWO_HOURS_MS, 'DELETED:m-3')).toBe('claimed');
  });

  it('keeps claims, tombstones and routes for the time given, beyond the 30 minutes Elastic Path may take', async () => {
    const [a, b] = replicas.map((replica) => replica.store);
    await a!.claim('event:e-1', TWO_HOURS_MS);
    await a!.rememberAccount('m-4', 'account-4', TWO_HOURS_MS);
    expect(await b!.accountOf('m-4')).toBe('account-4');
    expect(await b!.accountOf('m-unknown')).toBeUndefined();
    const keys = (await inspector.keys('ep-gateway:{events}:*')).sort();
    expect(keys).toEqual(expect.arrayContaining(['ep-gateway:{events}:event:e-1', 'ep-gateway:{events}:account:m-4']));
    for (const key of keys) {
      const ttl = await inspector.pttl(key);
      expect(ttl).toBeGreaterThan(30 * 60_000);
      expect(ttl).toBeLessThanOrEqual(TWO_HOURS_MS);
    }
  });

  it('gives a claim back, so that the next delivery of its event is not a duplicate', async () => {
    const [a, b] = replicas.map((replica) => replica.store);
    expect(await a!.claim('CREATED:m-5', TWO_HOURS_MS)).toBe('claimed');
    await a!.release('CREATED:m-5');
    expect(await b!.claim('CREATED:m-5', TWO_HOURS_MS)).toBe('claimed');
  });
});
