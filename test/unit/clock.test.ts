/** Elastic Path's clock offset from `Date` headers, and how a membership found after a lost answer is judged. */
import { describe, expect, it } from 'vitest';
import { UpstreamClock } from '../../src/upstream/clock.js';
import { judge } from '../../src/upstream/account-management.js';

const T = Date.UTC(2026, 0, 1, 12, 0, 0);
/** An answer sent at `sentAt`, received `rtt` ms later, whose `Date` a clock `offset` ms off ours stamped as it was answered. */
const sample = (sentAt: number, offset: number, rtt = 10) => ({
  date: new Date(Math.floor((sentAt + rtt / 2 + offset) / 1000) * 1000).toUTCString(),
  sentAt,
  receivedAt: sentAt + rtt,
});

describe('UpstreamClock', () => {
  it('knows nothing before an answer with a readable Date', () => {
    const clock = new UpstreamClock();
    expect(clock.offset()).toBeUndefined();
    clock.record({ date: 'not a date', sentAt: T, receivedAt: T + 5 });
    expect(clock.offset()).toBeUndefined();
  });

  it('bounds the offset to about a second from one answer, around the true offset', () => {
    const clock = new UpstreamClock();
    clock.record(sample(T + 300, -60_000));
    const range = clock.offset()!;
    expect(range.low).toBeLessThanOrEqual(-60_000);
    expect(range.high).toBeGreaterThanOrEqual(-60_000);
    expect(range.high - range.low).toBeLessThanOrEqual(1_000 + 10);
  });

  it('narrows the range with answers stamped at different fractions of a second', () => {
    const clock = new UpstreamClock();
    for (let index = 0; index < 20; index += 1) clock.record(sample(T + index * 1_050, 2_500));
    const range = clock.offset()!;
    expect(range.low).toBeLessThanOrEqual(2_500);
    expect(range.high).toBeGreaterThanOrEqual(2_500);
    expect(range.high - range.low).toBeLessThan(100);
  });

  it('keeps an intersection narrowed to one instant: two answers that touch do not contradict', () => {
    const clock = new UpstreamClock();
    // The first allows [-10, 1010]; the second [1010, 2020]: they share exactly 1010.
    clock.record({ date: new Date(T).toUTCString(), sentAt: T - 10, receivedAt: T + 10 });
    clock.record({ date: new Date(T + 2_000).toUTCString(), sentAt: T + 980, receivedAt: T + 990 });
    expect(clock.offset()).toEqual({ low: 1_010, high: 1_010 });
  });

  it('keeps every answer possible when they contradict each other (two clocks), rather than none', () => {
    const clock = new UpstreamClock();
    clock.record(sample(T, 0));
    clock.record(sample(T + 2_000, 30_000));
    const range = clock.offset()!;
    expect(range.low).toBeLessThanOrEqual(0);
    expect(range.high).toBeGreaterThanOrEqual(30_000);
  });
});

describe('judge', () => {
  const offset = { low: -20, high: 20 };
  const at = (ms: number) => new Date(T + ms).toISOString();

  it('calls a membership made seconds before the write left EXISTED', () => {
    expect(judge(at(-2_000), T, offset)).toBe('EXISTED');
  });

  it('calls one made as the write left UNCERTAIN, on either side of that moment', () => {
    expect(judge(at(5), T, offset)).toBe('UNCERTAIN');
    expect(judge(at(-900), T, offset)).toBe('UNCERTAIN');
    expect(judge(at(900), T, offset)).toBe('UNCERTAIN');
  });

  it('calls one made seconds after the write left CREATED', () => {
    expect(judge(at(2_000), T, offset)).toBe('CREATED');
  });

  it("reads the window on the measured clock: 60 s behind, this write's own membership is not EXISTED", () => {
    expect(judge(at(-60_000 + 5), T, { low: -60_500, high: -59_500 })).toBe('UNCERTAIN');
  });

  it('keeps both edges of the window, offset and a second of allowance either side, UNCERTAIN', () => {
    // Earliest instant the write can have reached Elastic Path: T - 20 - 1000; latest: T + 20 + 1000.
    expect(judge(at(-1_021), T, offset)).toBe('EXISTED');
    expect(judge(at(-1_020), T, offset)).toBe('UNCERTAIN');
    expect(judge(at(1_020), T, offset)).toBe('UNCERTAIN');
    expect(judge(at(1_021), T, offset)).toBe('CREATED');
  });

  it('adds the offset on both edges: Elastic Path 5 to 6 s ahead puts the window at T + 4 s to T + 7 s', () => {
    const ahead = { low: 5_000, high: 6_000 };
    expect(judge(at(3_999), T, ahead)).toBe('EXISTED');
    expect(judge(at(4_000), T, ahead)).toBe('UNCERTAIN');
    expect(judge(at(7_000), T, ahead)).toBe('UNCERTAIN');
    expect(judge(at(7_001), T, ahead)).toBe('CREATED');
  });

  it('calls anything UNCERTAIN without a measured clock or a readable created_at', () => {
    expect(judge(at(-3_600_000), T, undefined)).toBe('UNCERTAIN');
    expect(judge('yesterday', T, offset)).toBe('UNCERTAIN');
  });
});
