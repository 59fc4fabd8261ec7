/**
 * The quota without Redis: this replica's share of EP_API_MAX_RPS, the bulk share, and callers and
 * kinds served in turn. Time is Vitest's fake clock (timers and `performance.now()`), so every start
 * is asserted at its exact millisecond. Deadlines, the pause and what it tells: `quota-waits.test.ts`.
 */
import { describe, expect, it, vi } from 'vitest';
import { createQuota } from '../../src/upstream/quota/quota.js';
import { callsThrough, deadline, onFakeClock, quotaSettings, recordingObserver } from '../support/quota.js';

const { setUp, track, at, flush, advanceTo } = onFakeClock();

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
    // Nobody waits: the pump stops, and no timer of its own is left.
    expect(vi.getTimerCount()).toBe(0);
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
    await flush();
    // The pump sleeps until the earliest block ends: the window's at 1000, then the bulk share's.
    const wakes: number[] = [];
    for (let i = 0; i < 10 && vi.getTimerCount() > 0; i += 1) {
      await vi.advanceTimersToNextTimerAsync();
      wakes.push(at());
    }
    expect(wakes).toEqual([1000, 1500, 2500]);
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
  it('spends a start granted to a call whose caller left while it was decided, and serves the next after it', async () => {
    const { observer, events } = recordingObserver();
    const leaving = deadline(60_000);
    let left = false;
    // Y's caller leaves while the quota decides Y's start, right after X's (the first that waited).
    const quota = createQuota(quotaSettings({ epApiMaxRps: 2 }), {
      observer: {
        ...observer,
        granted(kind, waitedMs) {
          observer.granted(kind, waitedMs);
          if (waitedMs > 0 && !left) queueMicrotask(() => leaving.leave());
          left ||= waitedMs > 0;
        },
      },
    });
    track(quota);
    const { ended, take } = callsThrough(quota, at);
    void take('a');
    void take('b');
    void take('x', 'interactive', 'Bearer X');
    void take('y', 'interactive', 'Bearer Y', leaving.signal);
    // Y's caller has another call waiting: it stays in the queue, and keeps Y's turn.
    void take('y2', 'interactive', 'Bearer Y');
    void take('z', 'interactive', 'Bearer Z');
    await advanceTo(2000);
    expect(ended).toEqual([
      'a started @0',
      'b started @0',
      'x started @1000',
      'y UPSTREAM_TIMEOUT @1000',
      'y2 started @2000',
      'z started @2000',
    ]);
    expect(events).toEqual([
      ...Array(2).fill('granted interactive 0'),
      ...Array(4).fill('held rate'),
      'granted interactive 1000',
      ...Array(2).fill('granted interactive 2000'),
    ]);
  });
});
