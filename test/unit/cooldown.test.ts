/** The pause after a 429, on a clock the test passes in. */
import { describe, expect, it } from 'vitest';
import { Cooldown } from '../../src/upstream/quota/cooldown.js';

/** Starts a pause at `at` and one more each time the last one ends, `gap` ms after its end. */
function pausesAfter(cooldown: Cooldown, at: number, count: number, gap: number): number[] {
  const lengths: number[] = [];
  let now = at;
  for (let i = 0; i < count; i += 1) {
    const ms = cooldown.start(now);
    lengths.push(ms);
    now += ms + gap;
  }
  return lengths;
}

describe('Cooldown', () => {
  it('has no pause before any 429', () => {
    expect(new Cooldown().remaining(0)).toBe(0);
    expect(new Cooldown().remaining(60_000)).toBe(0);
  });

  it('pauses 500 ms after a first 429 and counts the pause down to 0, never below', () => {
    const cooldown = new Cooldown();
    expect(cooldown.start(20_000)).toBe(500);
    expect(cooldown.remaining(20_000)).toBe(500);
    expect(cooldown.remaining(20_200)).toBe(300);
    expect(cooldown.remaining(20_500)).toBe(0);
    expect(cooldown.remaining(30_000)).toBe(0);
  });

  it('starts nothing for a 429 during a pause, up to its last millisecond', () => {
    const cooldown = new Cooldown();
    cooldown.start(20_000);
    expect(cooldown.start(20_000)).toBe(0);
    expect(cooldown.start(20_499)).toBe(0);
    expect(cooldown.remaining(20_499)).toBe(1);
    // The pause ends at 20 500: a 429 then starts the next, doubled.
    expect(cooldown.start(20_500)).toBe(1000);
    expect(cooldown.remaining(20_500)).toBe(1000);
  });

  it('doubles each pause whose 429 follows the last pause within 5 s, up to 8 s', () => {
    expect(pausesAfter(new Cooldown(), 20_000, 7, 4_999)).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('goes back to 500 ms when a 429 comes 5 s or more after the last pause ended', () => {
    const cooldown = new Cooldown();
    expect(pausesAfter(cooldown, 20_000, 3, 0)).toEqual([500, 1000, 2000]);
    // The third pause ended at 23 500.
    expect(cooldown.start(28_500)).toBe(500);
    expect(cooldown.remaining(28_600)).toBe(400);
    // It ended at 29 000: 5 s later is too late to double.
    expect(pausesAfter(cooldown, 34_000, 2, 5_000)).toEqual([500, 500]);
  });

  it('starts the first pause at 500 ms whatever the clock reads', () => {
    // Soon after the clock's zero the pause memory is still "recent": the level starts from 0 all the same.
    expect(new Cooldown().start(1)).toBe(500);
    expect(new Cooldown().start(4_999)).toBe(500);
  });
});
