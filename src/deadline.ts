/**
 * One deadline per HTTP request (a batch's operations share it): a signal that aborts when the
 * request's time budget (OPERATION_TIMEOUT_MS) runs out or when the caller goes away, whichever
 * comes first. Built from one controller and one
 * timer (Node 20's AbortSignal.any/timeout cost far more per request, and this is on every one).
 */
export interface Deadline {
  signal: AbortSignal;
  /** Call when the response is sent: drops the timer and listener so nothing outlives the request. */
  release(): void;
}

export function operationDeadline(callerGone: AbortSignal, timeoutMs: number): Deadline {
  const controller = new AbortController();
  if (callerGone.aborted) {
    controller.abort(callerGone.reason);
    return { signal: controller.signal, release: () => {} };
  }
  const onGone = () => {
    clearTimeout(timer);
    controller.abort(callerGone.reason);
  };
  const timer = setTimeout(() => {
    callerGone.removeEventListener('abort', onGone);
    controller.abort(new DOMException('The operation ran out of time', 'TimeoutError'));
  }, timeoutMs);
  timer.unref();
  callerGone.addEventListener('abort', onGone, { once: true });
  return {
    signal: controller.signal,
    release() {
      clearTimeout(timer);
      callerGone.removeEventListener('abort', onGone);
    },
  };
}
