/**
 * Fault injection: the emulator misbehaving the way Elastic Path, or the network in front of it,
 * sometimes does (slow answers, answers held back after the work was done, 5xx and 429 answers,
 * reset connections, lost and cut-off responses, keep-alive sockets closed under the client), so that the gateway's timeouts, retries
 * and error mapping can be tested against real sockets.
 *
 *   emulator.faults.set({ errorRate: { 503: 0.1 }, latencyMs: [50, 300], seed: 42 });
 *   emulator.faults.counts;   // what was injected since set()
 *   emulator.faults.clear();  // normal service
 *
 * The dispatcher hands every request it has read and recorded to `serve`; a request faults do
 * not apply to (`POST /oauth/access_token`, a method outside `methods`, no settings) is answered
 * exactly as without this module.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { EpError, internalError } from './errors.js';
import { jsonAnswer, type Answer } from './http.js';

export type FaultStatus = 429 | 500 | 502 | 503 | 504;

export const FAULT_STATUSES: readonly FaultStatus[] = [429, 500, 502, 503, 504];

export interface FaultSettings {
  /** Added delay before answering, ms; a [min, max] pair picks uniformly. */
  latencyMs?: number | [number, number];
  /**
   * Added delay after processing the request (so a POST HAS created the membership) and before
   * answering it, ms; a [min, max] pair picks uniformly. Longer than the client's timeout, it is
   * the "timed out, but it landed" case. Applies to requests served normally (not to injected
   * error answers, resets or truncations).
   */
  latencyAfterProcessingMs?: number | [number, number];
  /**
   * Probability (0..1) per request of answering that status instead, with Elastic Path's error
   * body for it. Checked in key order (JavaScript orders integer keys ascending); the request is
   * NOT processed. One draw decides among all of these and the reset and truncate rates, so each
   * rate is the share of requests that get that fault; when the rates add up to more than 1 the
   * ones checked first win.
   */
  errorRate?: Partial<Record<FaultStatus, number>>;
  /** The next N requests answer 429 (not processed), then normal service resumes. */
  burst429?: number;
  /** Probability of destroying the connection (TCP reset) after reading the request, without processing it. */
  resetRate?: number;
  /**
   * Probability of processing the request (so a POST DOES create the membership) and then
   * resetting the connection instead of answering: the "lost response" case.
   */
  resetAfterProcessingRate?: number;
  /**
   * Probability of answering with the real status and headers but a body cut off half way
   * (Content-Length of the full body, then the socket is destroyed). Answers without a body
   * (204) are sent whole.
   */
  truncateRate?: number;
  /**
   * When true, every keep-alive connection is closed by the server right after its response is
   * written (as a server with a very short keep-alive would), so a client that reuses the socket
   * finds it closed.
   */
  staleKeepAlive?: boolean;
  /** Only requests whose method is listed are affected (default: all). Case-insensitive. */
  methods?: string[];
  /** Seed for the pseudo-random choices, for repeatable runs (default: random). */
  seed?: number;
}

export interface FaultCounts {
  /** Requests that were delayed. */
  latency: number;
  /** Requests processed, then delayed before their answer. */
  latencyAfterProcessing: number;
  /** Injected answers by status, e.g. `{ '503': 2 }`; burst 429s included. */
  status: Record<string, number>;
  resets: number;
  resetsAfterProcessing: number;
  truncations: number;
  staleCloses: number;
}

export interface FaultController {
  /** Replaces the current settings (and resets `counts`). Throws on an invalid setting, keeping the old ones. */
  set(settings: FaultSettings): void;
  /** Back to normal service (also ends a burst). */
  clear(): void;
  /** What was injected since the last set()/clear() (or resetCounts()); a copy. */
  readonly counts: FaultCounts;
  resetCounts(): void;
}

/** One request as the dispatcher has read it. */
export interface FaultExchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  /** As sent, without the query. */
  readonly path: string;
}

export interface FaultInjector {
  readonly controller: FaultController;
  /**
   * Answers one request, faults included. `produce` processes the request (it may change the
   * store) and returns its answer; it is not called when a fault means the request is not
   * processed. `write` sends an answer normally.
   */
  serve(exchange: FaultExchange, produce: () => Answer, write: (res: ServerResponse, answer: Answer) => void): Promise<void>;
  /**
   * Destroys every connection a fault still holds (a latency wait, a truncation), and those that
   * would start waiting later, until resume(): close() need not wait for them.
   */
  abortPending(): void;
  resume(): void;
}

/** mulberry32: a tiny 32-bit PRNG, plenty for picking faults, and repeatable from its seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Throws a RangeError naming the first invalid setting. */
export function validateFaultSettings(settings: FaultSettings): void {
  const { errorRate, burst429, methods, seed } = settings;
  checkLatency('latencyMs', settings.latencyMs);
  checkLatency('latencyAfterProcessingMs', settings.latencyAfterProcessingMs);
  for (const [status, rate] of Object.entries(errorRate ?? {})) {
    if (!FAULT_STATUSES.includes(Number(status) as FaultStatus)) {
      throw new RangeError(`errorRate takes the statuses ${FAULT_STATUSES.join(', ')}, got ${status}`);
    }
    checkRate(`errorRate[${status}]`, rate);
  }
  if (burst429 !== undefined && !(Number.isSafeInteger(burst429) && burst429 >= 0)) {
    throw new RangeError(`burst429 must be a whole number ≥ 0, got ${burst429}`);
  }
  checkRate('resetRate', settings.resetRate);
  checkRate('resetAfterProcessingRate', settings.resetAfterProcessingRate);
  checkRate('truncateRate', settings.truncateRate);
  if (methods !== undefined && !(Array.isArray(methods) && methods.every((method) => /^[A-Za-z]+$/.test(method)))) {
    throw new RangeError(`methods must be HTTP method names, got ${JSON.stringify(methods)}`);
  }
  if (seed !== undefined && !Number.isSafeInteger(seed)) {
    throw new RangeError(`seed must be a whole number, got ${seed}`);
  }
}

/** The settings in one line, for start-up output: `none` when there are none. */
export function describeFaults(settings: FaultSettings): string {
  const parts: string[] = [];
  const percent = (rate: number): string => `${+(rate * 100).toFixed(4)}%`;
  const ms = (latency: number | [number, number]): string => (Array.isArray(latency) ? `${latency[0]}-${latency[1]} ms` : `${latency} ms`);
  const { latencyMs, latencyAfterProcessingMs } = settings;
  if (latencyMs !== undefined) parts.push(`latency ${ms(latencyMs)}`);
  if (latencyAfterProcessingMs !== undefined) parts.push(`answer held ${ms(latencyAfterProcessingMs)} after processing`);
  for (const [status, rate] of Object.entries(settings.errorRate ?? {})) {
    if (rate) parts.push(`${status} for ${percent(rate)}`);
  }
  if (settings.burst429) parts.push(`429 for the next ${settings.burst429} requests`);
  if (settings.resetRate) parts.push(`reset for ${percent(settings.resetRate)}`);
  if (settings.resetAfterProcessingRate) parts.push(`reset after processing for ${percent(settings.resetAfterProcessingRate)}`);
  if (settings.truncateRate) parts.push(`truncated body for ${percent(settings.truncateRate)}`);
  if (settings.staleKeepAlive) parts.push('keep-alive connections closed after each response');
  if (parts.length === 0) return 'none';
  if (settings.methods !== undefined) parts.push(`only on ${settings.methods.map((m) => m.toUpperCase()).join(', ')}`);
  if (settings.seed !== undefined) parts.push(`seed ${settings.seed}`);
  return `${parts.join('; ')} (never on POST /oauth/access_token)`;
}

type Action =
  | { readonly kind: 'status'; readonly status: FaultStatus }
  | { readonly kind: 'reset' }
  | { readonly kind: 'resetAfterProcessing' }
  | { readonly kind: 'truncate' }
  | { readonly kind: 'serve' };

interface Plan {
  readonly delayMs: number;
  /** After processing, before answering (normal answers only). */
  readonly delayAfterMs: number;
  readonly action: Action;
  readonly staleKeepAlive: boolean;
}

/** The settings as the injector uses them. */
interface ActiveFaults {
  readonly latency: readonly [number, number] | undefined;
  readonly latencyAfterProcessing: readonly [number, number] | undefined;
  /** Mutually exclusive outcomes, checked in order against one draw. */
  readonly outcomes: readonly { readonly action: Action; readonly rate: number }[];
  burstRemaining: number;
  readonly staleKeepAlive: boolean;
  readonly methods: ReadonlySet<string> | undefined;
  readonly random: () => number;
}

const SERVE: Action = { kind: 'serve' };

export function createFaultInjector(initial: FaultSettings = {}): FaultInjector {
  let active = activate(initial);
  let counts = zeroCounts();
  /** Connections a fault is holding; each entry ends its hold early. */
  const pending = new Set<() => void>();
  let aborting = false;

  const controller: FaultController = {
    set(settings) {
      active = activate(settings);
      counts = zeroCounts();
    },
    clear() {
      controller.set({});
    },
    get counts() {
      return { ...counts, status: { ...counts.status } };
    },
    resetCounts() {
      counts = zeroCounts();
    },
  };

  function plan(method: string, path: string): Plan | undefined {
    if (active === undefined) return undefined;
    if (method === 'POST' && path === '/oauth/access_token') return undefined;
    if (active.methods !== undefined && !active.methods.has(method.toUpperCase())) return undefined;
    const { latency, latencyAfterProcessing, random } = active;
    const pick = (range: readonly [number, number] | undefined): number =>
      range === undefined ? 0 : Math.ceil(range[0] + (range[1] - range[0]) * random());
    const delayMs = pick(latency);
    const delayAfterMs = pick(latencyAfterProcessing);
    let action = SERVE;
    if (active.burstRemaining > 0) {
      active.burstRemaining -= 1;
      action = { kind: 'status', status: 429 };
    } else if (active.outcomes.length > 0) {
      const draw = random();
      let threshold = 0;
      for (const outcome of active.outcomes) {
        threshold += outcome.rate;
        if (draw < threshold) {
          action = outcome.action;
          break;
        }
      }
    }
    return { delayMs, delayAfterMs, action, staleKeepAlive: active.staleKeepAlive };
  }

  /** Resolves true after `ms`, or false when abortPending() ends the wait first. */
  function wait(ms: number): Promise<boolean> {
    if (aborting) return Promise.resolve(false);
    return new Promise((resolve) => {
      const abort = (): void => {
        clearTimeout(timer);
        pending.delete(abort);
        resolve(false);
      };
      const timer = setTimeout(() => {
        pending.delete(abort);
        resolve(true);
      }, ms);
      pending.add(abort);
    });
  }

  /** Writes the status and headers and half the body, then closes the connection. */
  function truncate(res: ServerResponse, socket: Socket, answer: Answer): void {
    const body = Buffer.from(answer.payload ?? '', 'utf8');
    const abort = (): void => {
      pending.delete(abort);
      socket.destroy();
    };
    pending.add(abort);
    socket.once('close', () => pending.delete(abort));
    res.writeHead(answer.status, answer.headers);
    // The callback runs once the bytes are with the OS; a plain destroy then still delivers them.
    res.write(body.subarray(0, Math.floor(body.length / 2)), abort);
  }

  function closeAfterResponse(res: ServerResponse, socket: Socket): void {
    res.once('finish', () => {
      // Node has already ended a connection it will not keep (Connection: close).
      if (socket.destroyed || !socket.writable) return;
      counts.staleCloses += 1;
      socket.destroySoon();
    });
  }

  return {
    controller,
    abortPending() {
      aborting = true;
      for (const abort of [...pending]) abort();
    },
    resume() {
      aborting = false;
    },
    async serve({ req, res, method, path }, produce, write) {
      const decided = plan(method, path);
      if (decided === undefined) {
        write(res, produce());
        return;
      }
      const { socket } = req;
      if (decided.delayMs > 0) {
        counts.latency += 1;
        if (!(await wait(decided.delayMs))) {
          socket.destroy();
          return;
        }
      }
      if (decided.staleKeepAlive) closeAfterResponse(res, socket);
      const { action } = decided;
      switch (action.kind) {
        case 'serve': {
          const answer = produce();
          if (decided.delayAfterMs > 0) {
            counts.latencyAfterProcessing += 1;
            if (!(await wait(decided.delayAfterMs))) {
              socket.destroy();
              return;
            }
            // The client gave up waiting (its timeout): there is no one left to answer.
            if (socket.destroyed) return;
          }
          write(res, answer);
          return;
        }
        case 'status': {
          counts.status[action.status] = (counts.status[action.status] ?? 0) + 1;
          const error = faultError(action.status);
          write(res, jsonAnswer(error.status, error.toBody(), error.headers));
          return;
        }
        case 'reset':
          counts.resets += 1;
          reset(socket);
          return;
        case 'resetAfterProcessing':
          produce();
          counts.resetsAfterProcessing += 1;
          reset(socket);
          return;
        case 'truncate': {
          const answer = produce();
          if (answer.payload === undefined || answer.payload === '' || socket.destroyed) {
            write(res, answer);
            return;
          }
          counts.truncations += 1;
          truncate(res, socket, answer);
          return;
        }
      }
    },
  };
}

function activate(settings: FaultSettings): ActiveFaults | undefined {
  validateFaultSettings(settings);
  const { latencyMs, errorRate = {}, burst429 = 0, resetRate = 0, resetAfterProcessingRate = 0, truncateRate = 0 } = settings;
  const outcomes = [
    ...Object.entries(errorRate).map(([status, rate]) => ({
      action: { kind: 'status', status: Number(status) as FaultStatus } as const,
      rate,
    })),
    { action: { kind: 'reset' } as const, rate: resetRate },
    { action: { kind: 'resetAfterProcessing' } as const, rate: resetAfterProcessingRate },
    { action: { kind: 'truncate' } as const, rate: truncateRate },
  ].filter((outcome) => outcome.rate > 0);
  const latency = range(latencyMs);
  const latencyAfterProcessing = range(settings.latencyAfterProcessingMs);
  const staleKeepAlive = settings.staleKeepAlive ?? false;
  const delays = [latency, latencyAfterProcessing].some((delay) => delay !== undefined && delay[1] > 0);
  if (outcomes.length === 0 && burst429 === 0 && !staleKeepAlive && !delays) {
    return undefined;
  }
  return {
    latency,
    latencyAfterProcessing,
    outcomes,
    burstRemaining: burst429,
    staleKeepAlive,
    methods: settings.methods === undefined ? undefined : new Set(settings.methods.map((method) => method.toUpperCase())),
    random: mulberry32(settings.seed ?? Math.floor(Math.random() * 4_294_967_296)),
  };
}

/**
 * The answers Elastic Path gives when it is overloaded or failing. 500 comes from the service
 * itself (status as a string, with its detail); 429 and the 502/503/504 gateway errors come from
 * the API gateway in front of it, which writes `status` as a number (EP-BEHAVIOUR.md, Errors).
 * None carries Retry-After.
 */
function faultError(status: FaultStatus): EpError {
  switch (status) {
    case 500:
      return internalError();
    case 429:
      return new EpError(429, 'Too Many Requests', undefined, true);
    case 502:
      return new EpError(502, 'Bad Gateway', undefined, true);
    case 503:
      return new EpError(503, 'Service Unavailable', undefined, true);
    case 504:
      return new EpError(504, 'Gateway Timeout', undefined, true);
  }
}

/** A TCP reset (RST) rather than an orderly close, so the client sees ECONNRESET. */
function reset(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

function range(latency: number | [number, number] | undefined): [number, number] | undefined {
  if (latency === undefined) return undefined;
  return Array.isArray(latency) ? [latency[0], latency[1]] : [latency, latency];
}

function checkLatency(name: string, latency: unknown): void {
  if (latency === undefined) return;
  const [min, max] = Array.isArray(latency) ? (latency as unknown[]) : [latency, latency];
  if (!isDuration(min) || !isDuration(max) || min > max) {
    throw new RangeError(`${name} must be milliseconds ≥ 0 or a [min, max] pair with min ≤ max, got ${JSON.stringify(latency)}`);
  }
}

function isDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function checkRate(name: string, rate: unknown): void {
  if (rate !== undefined && !(typeof rate === 'number' && rate >= 0 && rate <= 1)) {
    throw new RangeError(`${name} must be a probability between 0 and 1, got ${String(rate)}`);
  }
}

function zeroCounts(): FaultCounts {
  return { latency: 0, latencyAfterProcessing: 0, status: {}, resets: 0, resetsAfterProcessing: 0, truncations: 0, staleCloses: 0 };
}
