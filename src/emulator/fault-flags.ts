/**
 * The fault flags of `npm run emulator` (e.g. `npm run emulator -- --error-rate=503:0.1`), read
 * with node's `util.parseArgs` and turned into `FaultSettings`. Kept apart from main.ts so that
 * tests can call it without starting a process.
 */
import { parseArgs } from 'node:util';
import { FAULT_STATUSES, validateFaultSettings, type FaultSettings, type FaultStatus } from './faults.js';

/** A flag, or its value, that cannot be used. The message names the flag. */
export class FaultFlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultFlagError';
  }
}

const OPTIONS = {
  'latency-ms': { type: 'string' },
  'latency-after-processing-ms': { type: 'string' },
  'error-rate': { type: 'string' },
  'burst-429': { type: 'string' },
  'reset-rate': { type: 'string' },
  'reset-after-processing-rate': { type: 'string' },
  'truncate-rate': { type: 'string' },
  'stale-keep-alive': { type: 'boolean' },
  'fault-methods': { type: 'string' },
  'fault-seed': { type: 'string' },
} as const;

export const FAULT_FLAG_USAGE = [
  '--latency-ms=200 | --latency-ms=50-300',
  '--latency-after-processing-ms=2000 | --latency-after-processing-ms=1000-3000',
  '--error-rate=503:0.1,500:0.05   (statuses 429, 500, 502, 503, 504)',
  '--burst-429=20',
  '--reset-rate=0.05',
  '--reset-after-processing-rate=0.02',
  '--truncate-rate=0.05',
  '--stale-keep-alive',
  '--fault-methods=GET,POST',
  '--fault-seed=42',
].join('\n  ');

export function parseFaultFlags(args: readonly string[]): FaultSettings {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (error) {
    // parseArgs names the flag: "Unknown option '--latency'", "Option '--burst-429 <value>' argument missing".
    throw new FaultFlagError(error instanceof Error ? error.message : String(error));
  }
  const settings: FaultSettings = {};
  if (values['latency-ms'] !== undefined) settings.latencyMs = latency('--latency-ms', values['latency-ms']);
  if (values['latency-after-processing-ms'] !== undefined) {
    settings.latencyAfterProcessingMs = latency('--latency-after-processing-ms', values['latency-after-processing-ms']);
  }
  if (values['error-rate'] !== undefined) settings.errorRate = errorRates(values['error-rate']);
  if (values['burst-429'] !== undefined) settings.burst429 = wholeNumber('--burst-429', values['burst-429']);
  if (values['reset-rate'] !== undefined) settings.resetRate = rate('--reset-rate', values['reset-rate']);
  if (values['reset-after-processing-rate'] !== undefined) {
    settings.resetAfterProcessingRate = rate('--reset-after-processing-rate', values['reset-after-processing-rate']);
  }
  if (values['truncate-rate'] !== undefined) settings.truncateRate = rate('--truncate-rate', values['truncate-rate']);
  if (values['stale-keep-alive'] === true) settings.staleKeepAlive = true;
  if (values['fault-methods'] !== undefined) settings.methods = methods(values['fault-methods']);
  if (values['fault-seed'] !== undefined) settings.seed = wholeNumber('--fault-seed', values['fault-seed']);
  try {
    validateFaultSettings(settings);
  } catch (error) {
    throw new FaultFlagError(`Fault flags: ${error instanceof Error ? error.message : String(error)}`);
  }
  return settings;
}

function parse(args: readonly string[]) {
  return parseArgs({ args: [...args], options: OPTIONS, strict: true, allowPositionals: false });
}

function invalid(flag: string, value: string, expected: string): FaultFlagError {
  return new FaultFlagError(`${flag}=${value} is not valid: expected ${expected}`);
}

function latency(flag: string, value: string): number | [number, number] {
  const match = /^(\d+)(?:-(\d+))?$/.exec(value);
  const expected = 'milliseconds, e.g. 200, or a range, e.g. 50-300';
  if (match === null) throw invalid(flag, value, expected);
  const min = Number(match[1]);
  if (match[2] === undefined) return min;
  const max = Number(match[2]);
  if (min > max) throw invalid(flag, value, `${expected}, the smaller number first`);
  return [min, max];
}

function errorRates(value: string): Partial<Record<FaultStatus, number>> {
  const rates: Partial<Record<FaultStatus, number>> = {};
  const expected = `status:probability pairs, e.g. 503:0.1,500:0.05, with statuses ${FAULT_STATUSES.join(', ')}`;
  for (const pair of value.split(',')) {
    const match = /^(\d{3}):(.+)$/.exec(pair.trim());
    const status = Number(match?.[1]) as FaultStatus;
    if (match === null || !FAULT_STATUSES.includes(status) || status in rates) throw invalid('--error-rate', value, expected);
    rates[status] = rate('--error-rate', match[2] ?? '', value);
  }
  return rates;
}

function rate(flag: string, text: string, whole = text): number {
  const value = /^(?:0|1|0?\.\d+|[01]\.\d*)$/.test(text) ? Number(text) : NaN;
  if (!(value >= 0 && value <= 1)) throw invalid(flag, whole, 'a probability between 0 and 1, e.g. 0.05');
  return value;
}

function wholeNumber(flag: string, text: string): number {
  const value = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) throw invalid(flag, text, 'a whole number ≥ 0');
  return value;
}

function methods(value: string): string[] {
  const list = value.split(',').map((method) => method.trim().toUpperCase());
  if (!list.every((method) => /^[A-Z]+$/.test(method))) {
    throw invalid('--fault-methods', value, 'HTTP methods separated by commas, e.g. GET,POST');
  }
  return list;
}
