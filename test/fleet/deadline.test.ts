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
    // One start a second and 600 ms for an operation: of two calls at once, one starts and the
    // other would wait most of a second.
    stack = await startStack({ gateway: { env: { EP_API_MAX_RPS: '1', OPERATION_TIMEOUT_MS: '600', ...extra() } } });
    await eventually(
      'the quota is decided where it should be',
      () => stack.gateway.gateway.upstream.stats().quota.mode === (extra().REDIS_URL ? 'shared' : 'local'),
    );
  });
  afterAll(() => stack?.close());

  const refusals = async () => {
    const text = (await stack.gateway.gateway.metrics.render()).body;
    return Number(/^upstream_quota_refused_total\{reason="rate"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  };

  it('answers RATE_LIMITED at once, without calling Elastic Path, when the wait would pass the deadline', async () => {
    const before = await refusals();
    const read = () => stack.gateway.execute(AccountMemberDocument, { id: DEMO.members.ron.id }, { authorization: stack.authorization });
    const answers = await Promise.all([read(), read()]);

    const codes = answers.map((answer) => answer.errors?.map((error) => error.extensions?.code) ?? []);
    expect(codes).toContainEqual([]);
    expect(codes).toContainEqual(['RATE_LIMITED']);
    const refused = answers.find((answer) => answer.errors)?.errors?.[0];
    expect(refused?.message).toMatch(/rate limit.*deadline/);
    expect(stack.upstreamCalls()).toHaveLength(1);
    // Refused when it asked, for the full window, not when its deadline fired.
    expect(await refusals()).toBe(before + 1);
  });
});
