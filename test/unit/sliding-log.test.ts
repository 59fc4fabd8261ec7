/** This process's sliding one-second log of upstream starts, under a limit that may change. */
import { describe, expect, it } from 'vitest';
import { SlidingLog } from '../../src/upstream/quota/sliding-log.js';

describe('SlidingLog', () => {
  it('lets `limit` starts in at once and the next only when the oldest is a second old', () => {
    const log = new SlidingLog(3);
    for (const at of [0, 10, 20]) {
      expect(log.waitFor(at, 3)).toBe(0);
      log.record(at);
    }
    expect(log.waitFor(500, 3)).toBe(500);
    // A start exactly a second old no longer counts.
    expect(log.waitFor(1000, 3)).toBe(0);
  });

  it('follows a lower limit at once: the wait is for as many starts as are over it', () => {
    const log = new SlidingLog(4);
    for (const at of [0, 100, 200, 300]) log.record(at);
    expect(log.waitFor(400, 4)).toBe(600);
    // Halved (the fleet grew): two of the four must leave the window first.
    expect(log.waitFor(400, 2)).toBe(800);
    expect(log.waitFor(1150, 2)).toBe(50);
    expect(log.waitFor(1200, 2)).toBe(0);
  });

  it('never holds more than a second of starts under any limit it was asked about', () => {
    const log = new SlidingLog(5);
    let at = 0;
    const starts: number[] = [];
    for (let i = 0; i < 200; i += 1) {
      at += log.waitFor(at, 5);
      log.record(at);
      starts.push(at);
      at += (i * 7) % 13;
    }
    for (const start of starts) expect(starts.filter((other) => other >= start && other < start + 1000).length).toBeLessThanOrEqual(5);
  });

  it('waits for the start that must leave, whatever the capacity: a limit of 1 in a log of 5', () => {
    const log = new SlidingLog(5);
    for (const at of [0, 100, 200]) log.record(at);
    // Three starts, a limit of one: the newest two must leave too, so the wait is for the one at 200.
    expect(log.waitFor(300, 1)).toBe(900);
    expect(log.waitFor(300, 2)).toBe(800);
    expect(log.waitFor(300, 3)).toBe(700);
  });

  it('keeps the newest starts when more are recorded in a second than it holds', () => {
    const log = new SlidingLog(2);
    for (const at of [0, 100, 200]) log.record(at);
    // It holds two: the start at 0 made room for the one at 200, so the wait is for the one at 100.
    expect(log.waitFor(300, 2)).toBe(800);
    expect(log.waitFor(1099, 2)).toBe(1);
    // The one at 100 is a second old: one start left in the window, so one more fits.
    expect(log.waitFor(1100, 2)).toBe(0);
  });
});
