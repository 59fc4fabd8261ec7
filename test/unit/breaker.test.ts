/** The circuit breaker's rules, on a clock the test moves. */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type BreakerOutcome } from '../../src/upstream/breaker.js';

function breaker(settings: Partial<ConstructorParameters<typeof CircuitBreaker>[0]> = {}) {
  const clock = { now: 0 };
  const subject = new CircuitBreaker({ failurePercent: 50, minCalls: 4, windowMs: 1000, cooldownMs: 500, ...settings }, () => clock.now);
  const call = (outcome: BreakerOutcome) => {
    const admission = subject.admit();
    if (admission) subject.record(admission, outcome);
    return admission;
  };
  return { subject, clock, call };
}

describe('CircuitBreaker', () => {
  it('stays closed below the minimum number of calls, however many of them fail', () => {
    const { subject, call } = breaker();
    for (let i = 0; i < 3; i += 1) call('unwell');
    expect(subject.state).toBe('closed');
  });

  it('opens once the failure rate reaches its share of at least the minimum calls', () => {
    const { subject, call } = breaker();
    call('healthy');
    call('healthy');
    call('unwell');
    expect(subject.state).toBe('closed');
    call('unwell');
    expect(subject.state).toBe('open');
    expect(subject.admit()).toBe(false);
  });

  it('stays closed while healthy answers keep the rate below the threshold', () => {
    const { subject, call } = breaker();
    for (let i = 0; i < 100; i += 1) call(i % 3 === 2 ? 'unwell' : 'healthy');
    expect(subject.state).toBe('closed');
  });

  it('forgets outcomes older than the window', () => {
    const { subject, clock, call } = breaker();
    for (let i = 0; i < 3; i += 1) call('unwell');
    clock.now = 1500;
    call('unwell');
    expect(subject.state).toBe('closed');
  });

  it('counts the outcomes of the whole sliding window, not only of its latest part', () => {
    const { subject, clock, call } = breaker();
    call('unwell');
    call('unwell');
    clock.now = 550;
    call('unwell');
    expect(subject.state).toBe('closed');
    call('unwell');
    expect(subject.state).toBe('open');
  });

  it('keeps an outcome for exactly the window: still counted just before, gone at its end', () => {
    const kept = breaker();
    for (let i = 0; i < 3; i += 1) kept.call('unwell');
    kept.clock.now = 999;
    kept.call('unwell');
    expect(kept.subject.state).toBe('open');

    const gone = breaker();
    for (let i = 0; i < 3; i += 1) gone.call('unwell');
    gone.clock.now = 1000;
    gone.call('unwell');
    expect(gone.subject.state).toBe('closed');
  });

  it('counts healthy answers toward the minimum and against the rate', () => {
    const { subject, call } = breaker({ failurePercent: 60 });
    call('healthy');
    call('healthy');
    call('unwell');
    call('unwell');
    // 2 of 4 is 50%, under 60%.
    expect(subject.state).toBe('closed');
    call('unwell');
    // 3 of 5 is 60%.
    expect(subject.state).toBe('open');
  });

  it('starts counting afresh once a probe closes it', () => {
    const { subject, clock, call } = breaker();
    for (let i = 0; i < 4; i += 1) call('unwell');
    clock.now += 500;
    expect(call('healthy')).toBe('probe');
    expect(subject.state).toBe('closed');
    for (let i = 0; i < 3; i += 1) call('unwell');
    expect(subject.state).toBe('closed');
  });

  it('records nothing from calls admitted before it opened and finished after', () => {
    const { subject, clock, call } = breaker();
    const late = subject.admit();
    for (let i = 0; i < 4; i += 1) call('unwell');
    subject.record(late as 'call', 'healthy');
    expect(subject.state).toBe('open');
    clock.now += 500;
    expect(call('healthy')).toBe('probe');
    expect(subject.state).toBe('closed');
  });

  it('ignores calls that say nothing about Elastic Path', () => {
    const { subject, call } = breaker();
    for (let i = 0; i < 10; i += 1) call('void');
    call('unwell');
    expect(subject.state).toBe('closed');
  });

  it('lets calls that say nothing neither count toward the minimum nor dilute the rate', () => {
    const { subject, call } = breaker();
    for (let i = 0; i < 10; i += 1) call('void');
    for (let i = 0; i < 3; i += 1) call('unwell');
    expect(subject.state).toBe('closed');
    call('unwell');
    expect(subject.state).toBe('open');
  });

  it('does not restart its cooldown for a failure of a call admitted before it opened', () => {
    const { subject, clock, call } = breaker();
    const late = subject.admit();
    for (let i = 0; i < 4; i += 1) call('unwell');
    clock.now = 400;
    subject.record(late as 'call', 'unwell');
    clock.now = 500;
    expect(subject.state).toBe('half-open');
    expect(call('healthy')).toBe('probe');
  });

  it('forgets a bucket a whole window old even while its slot has not been reused', () => {
    const { subject, clock, call } = breaker();
    // Three failures in the first 100 ms bucket; the next one in the twelfth, whose slot is the second.
    for (let i = 0; i < 3; i += 1) call('unwell');
    clock.now = 1100;
    call('unwell');
    expect(subject.state).toBe('closed');
  });

  it('lets exactly one probe through after the cooldown and refuses the rest meanwhile', () => {
    const { subject, clock, call } = breaker();
    for (let i = 0; i < 4; i += 1) call('unwell');
    clock.now += 499;
    expect(subject.admit()).toBe(false);
    clock.now += 1;
    expect(subject.state).toBe('half-open');
    const probe = subject.admit();
    expect(probe).toBe('probe');
    expect(subject.admit()).toBe(false);
    subject.record(probe as 'probe', 'healthy');
    expect(subject.state).toBe('closed');
    expect(subject.admit()).toBe('call');
  });

  it('reopens for another cooldown when the probe fails', () => {
    const { subject, clock, call } = breaker();
    for (let i = 0; i < 4; i += 1) call('unwell');
    clock.now += 500;
    expect(call('unwell')).toBe('probe');
    expect(subject.state).toBe('open');
    clock.now += 499;
    expect(subject.admit()).toBe(false);
  });

  it('takes a probe whose caller went away as no answer: the next call probes again', () => {
    const { subject, clock, call } = breaker();
    for (let i = 0; i < 4; i += 1) call('unwell');
    clock.now += 500;
    expect(call('void')).toBe('probe');
    expect(subject.state).toBe('half-open');
    expect(subject.admit()).toBe('probe');
  });
});
