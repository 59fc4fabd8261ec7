/**
 * How far Elastic Path's clock is from ours, measured from its answers' `Date` headers: what a
 * membership's `created_at` is compared with after a write's answer was lost.
 *
 * A `Date` header has one-second resolution and is stamped somewhere between the request being
 * written and its answer arriving. So one answer says that Elastic Path's clock minus ours lies in
 * `(date − receivedAt, date + 1 s − sentAt)`. Answers stamped at different fractions of a second
 * narrow that range when intersected. If they contradict each other (the `Date` comes from several
 * edge servers whose clocks differ, or a clock was stepped), the union of their ranges is kept
 * instead: wider, never wrong about what was seen.
 */
import type { DateSample } from './transport.js';

/** Elastic Path's clock minus ours, in ms: somewhere in `[low, high]`. */
export interface OffsetRange {
  low: number;
  high: number;
}

/** Enough recent answers to narrow the range to a few tens of ms, few enough that drift does not matter. */
const SAMPLES = 32;
/** The resolution of an HTTP `Date`. */
const DATE_RESOLUTION_MS = 1_000;

export class UpstreamClock {
  readonly #samples: DateSample[] = [];
  #next = 0;

  /** Keeps an answer's `Date`; parsing waits until an offset is asked for, which is rare. */
  record(sample: DateSample): void {
    this.#samples[this.#next] = sample;
    this.#next = (this.#next + 1) % SAMPLES;
  }

  /** The offset range the recent answers allow, or undefined when none carried a readable `Date`. */
  offset(): OffsetRange | undefined {
    let intersection: OffsetRange | undefined;
    let hull: OffsetRange | undefined;
    let contradicted = false;
    for (const { date, sentAt, receivedAt } of this.#samples) {
      const stamped = Date.parse(date);
      if (!Number.isFinite(stamped)) continue;
      const low = stamped - receivedAt;
      const high = stamped + DATE_RESOLUTION_MS - sentAt;
      hull = hull ? { low: Math.min(hull.low, low), high: Math.max(hull.high, high) } : { low, high };
      intersection = intersection ? { low: Math.max(intersection.low, low), high: Math.min(intersection.high, high) } : { low, high };
      if (intersection.low > intersection.high) contradicted = true;
    }
    return contradicted ? hull : intersection;
  }
}
