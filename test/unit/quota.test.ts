/**
 * The quota without Redis: this replica's share of EP_API_MAX_RPS, the bulk share, the pause after
 * a 429, callers and kinds served in turn, and refusals before a deadline. Time is Vitest's fake
 * clock (timers and `performance.now()`), so every start is asserted at its exact millisecond.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createQuota, QUOTA_STARTS_CHANNEL, type Quota, type QuotaSettings, type QuotaStart } from '../../src/upstream/quota/quota.js';
import { callsThrough, deadline, quotaSettings, recordingObserver } from '../support/quota.js';

let t0 = 0;
let quotas: Quota[] = [];
/** Milliseconds since the test began, on the fake clock. */
const at = () => performance.now() - t0;
const flush = () => vi.advanceTimersByTimeAsync(0);
const advanceTo = (ms: number) => vi.advanceTimersByTimeAsync(t0 + ms - performance.now());

function setUp(settings: Partial<QuotaSettings>) {
  const { observer, events } = recordingObserver();
  const quota = createQuota(quotaSettings(settings), { observer });
  quotas.push(quota);
  return { quota, events, ...callsThrough(quota, at) };
}

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

describe('the local window', () => {
  it('lets EP_API_MAX_RPS calls start in any sliding second, the rest as the oldest starts leave it', async () => {
    const { quota, events, ended, take } = setUp({ epApiMaxRps: 3 });
    for (const label of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) void take(label);
    await flush();
    expect(quota.stats()).toEqual({ mode: 'local', replicas: 1, waiting: 4 });
    await advanceTo(999);
    expect(ended).toEqual(['a started @0', 'b started @0', 'c started @0']);
    await advanceTo(2000);
    expect(ended.slice(3)).toEqual(['d started @1000', 'e started @1000', 'f started @1000', 'g started @2000']);
    expect(events).toEqual([
      ...Array(3).fill('granted interactive 0'),
      ...Array(4).fill('held rate'),
      ...Array(3).fill('granted interactive 1000'),
      'granted interactive 2000',
    ]);
    expect(quota.stats().waiting).toBe(0);
  });

  it('gives this replica EP_API_MAX_RPS ÷ EP_FLEET_SIZE, rounded down, and never less than 1', async () => {
    const third = setUp({ epApiMaxRps: 10, epFleetSize: 3 });
    const tiny = setUp({ epApiMaxRps: 2, epFleetSize: 5 });
    for (const label of ['a', 'b', 'c', 'd']) void third.take(label);
    for (const label of ['a', 'b']) void tiny.take(label);
    await advanceTo(1000);
    expect(third.ended).toEqual(['a started @0', 'b started @0', 'c started @0', 'd started @1000']);
    expect(tiny.ended).toEqual(['a started @0', 'b started @1000']);
  });

  it('takes a call at once when its lane was blocked until exactly now', async () => {
    const { events, ended, take } = setUp({ epApiMaxRps: 1 });
    void take('a');
    // Refused (its wait would pass its deadline), but its lane stays blocked until 1000.
    void take('b', 'interactive', 'Bearer caller', deadline(500).signal);
    await advanceTo(1000);
    void take('c');
    await flush();
    expect(ended).toEqual(['a started @0', 'b RATE_LIMITED @0', 'c started @1000']);
    expect(events).toEqual(['granted interactive 0', 'held rate', 'refused rate', 'granted interactive 0']);
  });

  it('queues a call behind those already waiting even when the window has room for it', async () => {
    const { ended, take } = setUp({ epApiMaxRps: 2 });
    for (const label of ['a', 'b', 'c', 'd', 'e']) void take(label, 'interactive', `Bearer ${label}`);
    await flush();
    // The window has room again, and the waiting calls have not been served yet.
    vi.advanceTimersByTime(1000);
    void take('f', 'interactive', 'Bearer f');
    await advanceTo(2000);
    expect(ended).toEqual(['a started @0', 'b started @0', 'c started @1000', 'd started @1000', 'e started @2000', 'f started @2000']);
  });
});

describe('the bulk share', () => {
  it('holds bulk work to EP_API_BULK_SHARE percent of the share, while interactive calls use the rest', async () => {
    // A share of 5 (10 ÷ 2), of which 50% rounded down is 2 for bulk work.
    const { events, ended, take } = setUp({ epApiMaxRps: 10, epFleetSize: 2, epApiBulkShare: 50 });
    for (const label of ['b1', 'b2', 'b3']) void take(label, 'bulk');
    for (const label of ['i1', 'i2', 'i3', 'i4']) void take(label, 'interactive');
    await advanceTo(1000);
    expect(ended).toEqual([
      'b1 started @0',
      'b2 started @0',
      'i1 started @0',
      'i2 started @0',
      'i3 started @0',
      'i4 started @1000',
      'b3 started @1000',
    ]);
    expect(events).toEqual([
      'granted bulk 0',
      'granted bulk 0',
      'held bulk',
      ...Array(3).fill('granted interactive 0'),
      'held rate',
      'granted interactive 1000',
      'granted bulk 1000',
    ]);
  });

  it('lets at least one bulk start a second however small the share', async () => {
    const { events, ended, take } = setUp({ epApiMaxRps: 3, epApiBulkShare: 10 });
    for (const label of ['b1', 'b2']) void take(label, 'bulk');
    await advanceTo(1000);
    expect(ended).toEqual(['b1 started @0', 'b2 started @1000']);
    expect(events).toEqual(['granted bulk 0', 'held bulk', 'granted bulk 1000']);
  });

  it('serves an interactive call when the window has room, though bulk work waits longer', async () => {
    // A share of 4, 1 of it for bulk work.
    const { events, ended, take } = setUp({ epApiMaxRps: 4, epApiBulkShare: 25 });
    void take('i1');
    void take('i2');
    await advanceTo(500);
    for (const [label, kind] of [
      ['b1', 'bulk'],
      ['b2', 'bulk'],
      ['i3', 'interactive'],
      ['i4', 'interactive'],
      ['b3', 'bulk'],
    ] as const) {
      void take(label, kind);
    }
    await advanceTo(2500);
    expect(ended).toEqual([
      'i1 started @0',
      'i2 started @0',
      'b1 started @500',
      'i3 started @500',
      'i4 started @1000',
      'b2 started @1500',
      'b3 started @2500',
    ]);
    // The window's block (until 1000) is shorter than the bulk share's (until 1500): bulk keeps its reason.
    expect(events).toEqual([
      ...Array(2).fill('granted interactive 0'),
      'granted bulk 0',
      'held bulk',
      'granted interactive 0',
      'held rate',
      'held bulk',
      'granted interactive 500',
      'granted bulk 1000',
      'granted bulk 2000',
    ]);
  });

  it('keeps the bulk share as the reason when the window blocks bulk work until the same time', async () => {
    const { events, ended, take } = setUp({ epApiMaxRps: 2, epApiBulkShare: 50 });
    for (const [label, kind] of [
      ['b1', 'bulk'],
      ['b2', 'bulk'],
      ['i1', 'interactive'],
      ['i2', 'interactive'],
      ['b3', 'bulk'],
    ] as const) {
      void take(label, kind);
    }
    await advanceTo(2000);
    expect(ended).toEqual(['b1 started @0', 'i1 started @0', 'i2 started @1000', 'b2 started @1000', 'b3 started @2000']);
    expect(events.slice(0, 5)).toEqual(['granted bulk 0', 'held bulk', 'granted interactive 0', 'held rate', 'held bulk']);
  });
});

describe('turns', () => {
  it('serves waiting callers in turn, so that one caller’s burst does not hold the others back', async () => {
    const { ended, take } = setUp({ epApiMaxRps: 1 });
    void take('x', 'interactive', 'Bearer A');
    for (const label of ['a1', 'a2', 'a3']) void take(label, 'interactive', 'Bearer A');
    void take('d1', 'interactive', 'Bearer D');
    await advanceTo(5000);
    expect(ended).toEqual(['x started @0', 'a1 started @1000', 'd1 started @2000', 'a2 started @3000', 'a3 started @4000']);
  });

  it('serves the two kinds in turn, one start each, while the window is full', async () => {
    const { ended, take } = setUp({ epApiMaxRps: 1, epApiBulkShare: 100 });
    for (const [label, kind] of [
      ['x', 'interactive'],
      ['i1', 'interactive'],
      ['i2', 'interactive'],
      ['b1', 'bulk'],
      ['b2', 'bulk'],
    ] as const) {
      void take(label, kind);
    }
    await advanceTo(4000);
    expect(ended).toEqual(['x started @0', 'i1 started @1000', 'b1 started @2000', 'i2 started @3000', 'b2 started @4000']);
  });

  it('keeps a caller’s turn when one of its waiting calls goes away, and gives its place to the next', async () => {
    const { quota, events, ended, errors, take } = setUp({ epApiMaxRps: 1 });
    const leaving = deadline(60_000);
    void take('x', 'interactive', 'Bearer A');
    void take('a1', 'interactive', 'Bearer A', leaving.signal);
    void take('a2', 'interactive', 'Bearer A');
    void take('b1', 'interactive', 'Bearer B');
    await advanceTo(500);
    leaving.leave(new DOMException('The caller went away', 'AbortError'));
    await flush();
    expect(quota.stats().waiting).toBe(2);
    await advanceTo(2000);
    expect(ended).toEqual(['x started @0', 'a1 UPSTREAM_TIMEOUT @500', 'a2 started @1000', 'b1 started @2000']);
    expect(errors.get('a1')?.message).toMatch(/did not answer within 10000 ms/);
    expect(events).toEqual([
      'granted interactive 0',
      ...Array(3).fill('held rate'),
      'granted interactive 1000',
      'granted interactive 2000',
    ]);
  });
});

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
    subscribe(QUOTA_STARTS_CHANNEL, record);
    try {
      void take('x', 'interactive');
      void take('y', 'bulk');
      await advanceTo(1000);
    } finally {
      unsubscribe(QUOTA_STARTS_CHANNEL, record);
    }
    const origin = performance.timeOrigin + t0;
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
    quotas.push(quota);
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
