/** The sliding per-second window of upstream starts. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RateWindow } from '../../src/upstream/rate-window.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('RateWindow', () => {
  it('allows perSecond starts at once and holds the next until the oldest is a second old', async () => {
    const window = new RateWindow(3);
    const started = performance.now();
    for (let i = 0; i < 3; i += 1) expect(await window.take()).toBe(true);
    expect(performance.now() - started).toBeLessThan(100);
    expect(await window.take()).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
  });

  it('gives up a wait when the signal ends it', async () => {
    const window = new RateWindow(1);
    await window.take();
    expect(await window.take(AbortSignal.timeout(50))).toBe(false);
  });

  it('is not stalled by the wall clock stepping back an hour', async () => {
    const window = new RateWindow(2);
    await window.take();
    await window.take();
    // Only Date moves: the window must measure time with the monotonic clock.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() - 3_600_000);
    expect(await window.take(AbortSignal.timeout(2_000))).toBe(true);
  });
});
