/**
 * Starts the emulator on a random loopback port for one test and calls it over real HTTP.
 */
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/emulator.js';

export interface CallOptions {
  method?: string;
  /** Bearer token; `null` sends no Authorization header. Defaults to a client_credentials token. */
  token?: string | null;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is. */
  body?: string;
}

/** The emulator's answer as the test received it. */
export interface Reply {
  status: number;
  headers: Headers;
  /** The raw body. */
  text: string;
  /** The body parsed as JSON; undefined when empty. Loosely typed: tests assert on it. */
  body: any;
}

export interface EmulatorHarness {
  emulator: Emulator;
  baseUrl: string;
  /** A client_credentials token issued by this emulator. */
  token: string;
  call(path: string, options?: CallOptions): Promise<Reply>;
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHarness> {
  const emulator = createEmulator(options);
  const baseUrl = await emulator.listen(0);
  const token = emulator.issueToken();
  return {
    emulator,
    baseUrl,
    token,
    async call(path, { method = 'GET', token: bearer = token, headers = {}, json, body } = {}) {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          ...(bearer !== null && { authorization: `Bearer ${bearer}` }),
          ...(json !== undefined && { 'content-type': 'application/json' }),
          ...headers,
        },
        body: json !== undefined ? JSON.stringify(json) : body,
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, body: text === '' ? undefined : JSON.parse(text) };
    },
    close: () => emulator.close(),
  };
}

export const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
