/** The sliding per-second window of upstream starts, on a clock the test moves. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateWindow } from '../../src/upstream/rate-window.js';

beforeEach(() => {
  // The monotonic clock and the timers the window waits on; Date stays real unless a test moves it.
  vi.useFakeTimers({ toFake: ['performance', 'setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Whether `taking` has resolved, after the microtasks now queued have run. */
async function settled(taking: Promise<boolean>): Promise<boolean> {
  let done = false;
  void taking.then(() => (done = true));
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

describe('RateWindow', () => {
  it('allows perSecond starts at once and holds the next until the oldest is exactly a second old', async () => {
    const window = new RateWindow(3);
    for (let i = 0; i < 3; i += 1) expect(await window.take()).toBe(true);
    const fourth = window.take();
    await vi.advanceTimersByTimeAsync(999);
    expect(await settled(fourth)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await fourth).toBe(true);
  });

  it('slides: a start frees its place one second after it was made, not at a fixed window edge', async () => {
    const window = new RateWindow(2);
    expect(await window.take()).toBe(true);
    await vi.advanceTimersByTimeAsync(600);
    expect(await window.take()).toBe(true);
    // At 1000 ms the first start has aged out; the second (made at 600) has not.
    await vi.advanceTimersByTimeAsync(400);
    expect(await window.take()).toBe(true);
    const fourth = window.take();
    await vi.advanceTimersByTimeAsync(599);
    expect(await settled(fourth)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await fourth).toBe(true);
  });

  it('frees as many places as starts aged out, oldest first', async () => {
    const window = new RateWindow(3);
    for (let i = 0; i < 3; i += 1) await window.take();
    await vi.advanceTimersByTimeAsync(1000);
    const next = [window.take(), window.take(), window.take()];
    expect(await Promise.all(next)).toEqual([true, true, true]);
    const fourth = window.take();
    expect(await settled(fourth)).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await fourth).toBe(true);
  });

  it('gives up a wait when the signal ends it, and refuses at once with a signal already ended', async () => {
    const window = new RateWindow(1);
    await window.take();
    const caller = new AbortController();
    const waiting = window.take(caller.signal);
    await vi.advanceTimersByTimeAsync(500);
    caller.abort();
    expect(await waiting).toBe(false);
    expect(await window.take(AbortSignal.abort())).toBe(false);
    // The abandoned wait took no place: the next start is due when the first is a second old.
    await vi.advanceTimersByTimeAsync(500);
    expect(await window.take()).toBe(true);
  });

  it('is not stalled by the wall clock stepping back an hour', async () => {
    vi.useFakeTimers({ toFake: ['performance', 'setTimeout', 'clearTimeout', 'Date'] });
    const window = new RateWindow(2);
    await window.take();
    await window.take();
    // Only Date moves: the window must measure time with the monotonic clock.
    vi.setSystemTime(Date.now() - 3_600_000);
    const third = window.take();
    await vi.advanceTimersByTimeAsync(1000);
    expect(await third).toBe(true);
  });
});
