/**
 * A call whose wait for the rate quota would pass its operation's deadline is refused at once with
 * RATE_LIMITED, in both modes: the process's own quota, and the fleet's in Redis. It neither
 * waits out the deadline nor answers UPSTREAM_TIMEOUT.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import { AccountMemberDocument } from '../gql/graphql.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startStack, type Stack } from '../support/stack.js';
import { eventually } from './support.js';

let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.close());

describe.each<[string, () => Record<string, string>]>([
  ['the local quota', () => ({})],
  ['the shared quota in Redis', () => ({ REDIS_URL: redis.url })],
])('with %s', (_mode, extra) => {
  let stack: Stack;

  beforeAll(async () => {
    // One start a second: the second call waits a second, the third would wait two.
    stack = await startStack({ gateway: { env: { EP_API_MAX_RPS: '1', OPERATION_TIMEOUT_MS: '1500', ...extra() } } });
    await eventually('the quota is decided where it should be', () =>
      stack.gateway.gateway.upstream.stats().quota.mode === (extra().REDIS_URL ? 'shared' : 'local'),
    );
  });
  afterAll(() => stack?.close());

  it('answers RATE_LIMITED at once when the wait would pass the deadline, before the waiting call starts', async () => {
    const read = () => stack.gateway.execute(AccountMemberDocument, { id: DEMO.members.ron.id }, { authorization: stack.authorization });
    const first = read();
    await eventually('the first call reached Elastic Path', () => stack.upstreamCalls().length === 1);
    const second = read();
    await eventually('the second call waits for the quota', () => stack.gateway.gateway.upstream.stats().quota.waiting === 1);
    const third = await read();
    // Refused while the second call still waits for its start, a second after the first.
    expect(stack.upstreamCalls()).toHaveLength(1);
    expect(third.errors?.map((error) => error.extensions?.code)).toEqual(['RATE_LIMITED']);
    expect(third.errors?.[0]?.message).toMatch(/rate limit.*deadline/);

    expect((await first).errors).toBeUndefined();
    expect((await second).errors).toBeUndefined();
    expect(stack.upstreamCalls()).toHaveLength(2);
  });
});
