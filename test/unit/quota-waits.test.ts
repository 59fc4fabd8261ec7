/**
 * The quota without Redis, on Vitest's fake clock: calls refused before their deadline, callers who
 * leave, the pause after a 429, close, and what it tells its observer and the starts channel.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it, vi } from 'vitest';
import { createQuota, QUOTA_STARTS_CHANNEL, type QuotaStart } from '../../src/upstream/quota/quota.js';
import { callsThrough, deadline, onFakeClock, quotaSettings } from '../support/quota.js';

const { setUp, track, at, flush, advanceTo, startedAt } = onFakeClock();

describe('deadlines', () => {
  it('refuses at once a call whose turn would come after its deadline, counting the calls ahead of it', async () => {
    // A share of 2 (4 ÷ 2): after the first second, a start every 500 ms.
    const { events, ended, take } = setUp({ epApiMaxRps: 4, epFleetSize: 2, epApiBulkShare: 50 });
    void take('a');
    void take('b');
    for (const label of ['c', 'd', 'e']) void take(label, 'interactive', 'Bearer caller', deadline(1500).signal);
    await flush();
    expect(ended).toEqual(['a started @0', 'b started @0', 'e RATE_LIMITED @0']);
    await advanceTo(1500);
    expect(ended.slice(3)).toEqual(['c started @1000', 'd started @1000']);
    expect(events).toEqual([
      ...Array(2).fill('granted interactive 0'),
      ...Array(3).fill('held rate'),
      'refused rate',
      ...Array(2).fill('granted interactive 1000'),
    ]);
  });

  it('estimates a bulk call’s turn at the bulk share’s rate', async () => {
    // A share of 4 (8 ÷ 2), 2 of it for bulk work.
    const { ended, take } = setUp({ epApiMaxRps: 8, epFleetSize: 2, epApiBulkShare: 50 });
    for (const label of ['a', 'b']) void take(label, 'bulk');
    for (const label of ['c', 'd', 'e']) void take(label, 'bulk', 'Bearer caller', deadline(1500).signal);
    await advanceTo(1500);
    expect(ended).toEqual(['a started @0', 'b started @0', 'e RATE_LIMITED @0', 'c started @1000', 'd started @1000']);
  });

  it('counts each other caller’s calls ahead only up to this call’s place in its own queue', async () => {
    const { ended, take } = setUp({ epApiMaxRps: 1 });
    void take('x', 'interactive', 'Bearer A');
    for (const label of ['a1', 'a2', 'a3']) void take(label, 'interactive', 'Bearer A');
    // One of A's calls goes before each: turns at 2000 (refused at 1999) and 2000 again (kept at 2500).
    void take('b1', 'interactive', 'Bearer B', deadline(1999).signal);
    void take('c1', 'interactive', 'Bearer C', deadline(2500).signal);
    // Its fourth call: its own three, and C's one call, go first.
    void take('a4', 'interactive', 'Bearer A', deadline(4999).signal);
    await advanceTo(2000);
    expect(ended).toEqual(['x started @0', 'b1 RATE_LIMITED @0', 'a4 RATE_LIMITED @0', 'a1 started @1000', 'c1 started @2000']);
  });

  it('refuses the waiting calls a pause would keep past their deadline, keeping those it ends in time for', async () => {
    const { quota, events, ended, take } = setUp({ epApiMaxRps: 1 });
    void take('x');
    void take('w1', 'interactive', 'Bearer caller', deadline(1099).signal);
    void take('w2', 'bulk', 'Bearer caller', deadline(1100).signal);
    await advanceTo(600);
    quota.tooMany();
    await advanceTo(1000);
    expect(ended).toEqual(['x started @0', 'w1 RATE_LIMITED @1000']);
    // The pause ends as w2's deadline does: it ran out of time waiting, refused by its deadline.
    await advanceTo(1100);
    expect(ended.slice(2)).toEqual(['w2 RATE_LIMITED @1100']);
    expect(events).toEqual(['granted interactive 0', 'held rate', 'held rate', 'cooledDown', 'refused cooldown']);
  });

  it('refuses at once the bulk calls a pause would keep past their deadline, though their own block ends sooner', async () => {
    // One bulk start a second.
    const { quota, events, ended, take } = setUp({ epApiMaxRps: 10, epApiBulkShare: 10 });
    void take('b1', 'bulk', 'Bearer A');
    void take('b2', 'bulk', 'Bearer A', deadline(1400).signal);
    void take('b3', 'bulk', 'Bearer A');
    void take('b4', 'bulk', 'Bearer B');
    await advanceTo(100);
    quota.tooMany();
    // A second 429 as the first pause ends: a pause of 1000 ms, until 1600.
    await advanceTo(600);
    quota.tooMany();
    void take('i1', 'interactive');
    await advanceTo(2600);
    // A keeps its turn after its refused call: b3 before B's b4.
    expect(ended).toEqual(['b1 started @0', 'b2 RATE_LIMITED @600', 'i1 started @1600', 'b3 started @1600', 'b4 started @2600']);
    expect(events).toEqual([
      'granted bulk 0',
      ...Array(3).fill('held bulk'),
      'cooledDown',
      'cooledDown',
      'refused cooldown',
      'held cooldown',
      'granted interactive 1000',
      'granted bulk 1600',
      'granted bulk 2600',
    ]);
  });

  it('answers a call whose caller already left, or whose deadline already passed, with the deadline’s error', async () => {
    const { events, ended, errors, take } = setUp({ epApiMaxRps: 1 });
    const left = deadline(60_000);
    left.leave(new DOMException('The caller went away', 'AbortError'));
    const late = deadline(100);
    void take('x');
    await advanceTo(100);
    void take('left', 'interactive', 'Bearer caller', left.signal);
    void take('late', 'interactive', 'Bearer caller', late.signal);
    await advanceTo(2000);
    expect(ended).toEqual(['x started @0', 'left UPSTREAM_TIMEOUT @100', 'late UPSTREAM_TIMEOUT @100']);
    expect(errors.get('left')?.message).toMatch(/did not answer within 10000 ms/);
    expect(errors.get('late')?.message).toMatch(/ran out of time/);
    expect(events).toEqual(['granted interactive 0']);
  });
});

describe('the pause after a 429', () => {
  it('holds both kinds, doubles when a 429 follows soon after, and ignores a 429 during a pause', async () => {
    const { quota, events, ended, take } = setUp({ epApiMaxRps: 10 });
    quota.tooMany();
    void take('a', 'interactive');
    void take('b', 'bulk');
    await advanceTo(600);
    quota.tooMany();
    await advanceTo(700);
    quota.tooMany();
    void take('c', 'interactive');
    await advanceTo(1600);
    expect(ended).toEqual(['a started @500', 'b started @500', 'c started @1600']);
    expect(events).toEqual([
      'cooledDown',
      ...Array(2).fill('held cooldown'),
      'granted interactive 500',
      'granted bulk 500',
      'cooledDown',
      'held cooldown',
      'granted interactive 900',
    ]);
  });
});

describe('what it tells', () => {
  it('publishes every start, when the window counted it, on the starts channel', async () => {
    const { take } = setUp({ epApiMaxRps: 1 });
    const starts: QuotaStart[] = [];
    const record = (message: unknown) => starts.push(message as QuotaStart);
    // Its name is what subscribers outside the code (the fleet tests' preload) listen on.
    expect(QUOTA_STARTS_CHANNEL).toBe('ep-gateway:upstream-quota-start');
    subscribe('ep-gateway:upstream-quota-start', record);
    try {
      void take('x', 'interactive');
      void take('y', 'bulk');
      await advanceTo(1000);
    } finally {
      unsubscribe('ep-gateway:upstream-quota-start', record);
    }
    const origin = performance.timeOrigin + startedAt();
    expect(starts).toEqual([
      { kind: 'interactive', at: origin, mode: 'local' },
      { kind: 'bulk', at: origin + 1000, mode: 'local' },
    ]);
  });

  it('settles every waiting call with the deadline’s error on close, and starts nothing after', async () => {
    const { quota, events, ended, errors, take } = setUp({ epApiMaxRps: 1 });
    void take('x');
    void take('a', 'interactive');
    void take('b', 'interactive', 'Bearer other');
    void take('c', 'bulk');
    await flush();
    expect(quota.stats()).toEqual({ mode: 'local', replicas: 1, waiting: 3 });
    await quota.close();
    await flush();
    expect(ended).toEqual(['x started @0', 'a UPSTREAM_TIMEOUT @0', 'b UPSTREAM_TIMEOUT @0', 'c UPSTREAM_TIMEOUT @0']);
    expect(errors.get('c')?.message).toMatch(/did not answer within 10000 ms/);
    expect(quota.stats().waiting).toBe(0);
    // The pump's timer is gone with it.
    expect(vi.getTimerCount()).toBe(0);
    await advanceTo(5000);
    expect(events).toEqual(['granted interactive 0', ...Array(3).fill('held rate')]);
  });

  it('works without an observer', async () => {
    const quota = createQuota(quotaSettings({ epApiMaxRps: 1 }));
    track(quota);
    const { ended, take } = callsThrough(quota, at);
    void take('x');
    void take('a');
    void take('refused', 'interactive', 'Bearer caller', deadline(500).signal);
    void take('b', 'bulk', 'Bearer caller', deadline(1099).signal);
    await advanceTo(600);
    quota.tooMany();
    await advanceTo(1100);
    void take('c');
    await flush();
    await quota.close();
    await flush();
    expect(ended).toEqual([
      'x started @0',
      'refused RATE_LIMITED @0',
      'b RATE_LIMITED @1000',
      'a started @1100',
      'c UPSTREAM_TIMEOUT @1100',
    ]);
  });
});
