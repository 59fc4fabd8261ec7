/**
 * A gateway in this process with REDIS_URL, in front of a scripted Elastic Path: what callers,
 * operators and Elastic Path see when Redis stops answering (REDIS_TIMEOUT_MS) or cannot be reached
 * at all (EP_FLEET_SIZE). Starts are measured from the grant times the quota publishes, not from
 * arrivals upstream; time is real, and asserted from below only.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { QUOTA_STARTS_CHANNEL, type QuotaStart } from '../../src/upstream/quota/quota.js';
import { AccountMemberDocument } from '../gql/graphql.js';
import { memberBody } from '../support/bodies.js';
import { busiestSecond } from '../support/counting-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { MEMBER_ID, TOKEN } from '../support/ids.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';
import { metric } from './support.js';

let upstream: ScriptedUpstream;
let gateway: TestGateway | undefined;
let starts: QuotaStart[] = [];
const recordStart = (message: unknown) => starts.push(message as QuotaStart);

beforeEach(async () => {
  starts = [];
  subscribe(QUOTA_STARTS_CHANNEL, recordStart);
  upstream = await startScriptedUpstream();
  upstream.always({ status: 200, json: memberBody() });
});

afterEach(async () => {
  unsubscribe(QUOTA_STARTS_CHANNEL, recordStart);
  await gateway?.close();
  gateway = undefined;
  await upstream.close();
});

async function start(env: Record<string, string>): Promise<TestGateway> {
  gateway = await startGateway({ upstreamUrl: upstream.url, env });
  return gateway;
}

const readMember = (running: TestGateway, id = MEMBER_ID) => running.execute(AccountMemberDocument, { id }, { authorization: TOKEN });

const warnedLocal = (running: TestGateway, reason: string) =>
  running.whenLogged((line) => line.msg === 'upstream quota local: Redis unavailable' && line.reason === reason);

describe('Redis that stops answering', () => {
  let redis: TestRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
  }, 60_000);

  afterAll(async () => {
    client?.disconnect();
    await redis?.close();
  });

  it('still answers an operation, on the local share, once Redis has been silent for REDIS_TIMEOUT_MS', async () => {
    // A second: far longer than a warm gateway takes to answer, so that only the wait for Redis explains it.
    const running = await start({ REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '1000', EP_API_MAX_RPS: '8' });
    await vi.waitFor(async () => expect(await metric(running.url, 'upstream_quota_mode')).toBe(1), { timeout: 20_000, interval: 20 });
    // Warm, and decided in Redis: the first operation's own costs (parsing, connecting) are behind it.
    expect((await readMember(running)).data?.accountMember?.name).toBe('Ron Swanson');
    expect(starts.map((each) => each.mode)).toEqual(['shared']);
    starts = [];
    // Stopped, not killed: the connection stays open and the command gets no answer at all.
    const pid = Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
    process.kill(pid, 'SIGSTOP');
    try {
      const before = performance.now();
      const answer = await readMember(running);
      const waited = performance.now() - before;
      expect(answer.errors).toBeUndefined();
      expect(answer.data?.accountMember?.name).toBe('Ron Swanson');
      // The quota gave Redis its REDIS_TIMEOUT_MS before deciding here; load can only add to that.
      expect(waited).toBeGreaterThanOrEqual(999);
      expect(starts.map((each) => each.mode)).toEqual(['local']);
      expect(upstream.received).toHaveLength(2);
      expect(await metric(running.url, 'upstream_quota_mode')).toBe(0);
      expect(await warnedLocal(running, 'Command timed out')).toMatchObject({ level: 40, quota: 'local' });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });
});

describe('Redis that cannot be reached', () => {
  it('starts at most EP_API_MAX_RPS ÷ EP_FLEET_SIZE calls in any second, holding the rest', async () => {
    // Nothing listens on port 1. A share of 2 (4 ÷ 2) a second; alone, the replica would take all 4.
    const running = await start({ REDIS_URL: 'redis://127.0.0.1:1', EP_API_MAX_RPS: '4', EP_FLEET_SIZE: '2' });
    expect(await warnedLocal(running, 'Redis is not connected')).toMatchObject({ replicas: 1, share: 2 });
    const heldBefore = await metric(running.url, 'upstream_quota_held_total', 'reason="rate"');
    const answers = await Promise.all(Array.from({ length: 6 }, (_, index) => readMember(running, MEMBER_ID.replace(/.$/, String(index)))));
    expect(answers.map((answer) => answer.errors ?? answer.data?.accountMember?.name)).toEqual(Array(6).fill('Ron Swanson'));
    expect(starts.map((each) => each.mode)).toEqual(Array(6).fill('local'));
    expect(busiestSecond(starts.map((each) => each.at))).toBe(2);
    // Six at once asked for more than the share: four of them waited for the window.
    expect(await metric(running.url, 'upstream_quota_held_total', 'reason="rate"')).toBe(heldBefore + 4);
    expect(upstream.received).toHaveLength(6);
  });
});
