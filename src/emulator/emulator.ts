/**
 * A local, stateful stand-in for Elastic Path's Account Management API: same paths, shapes,
 * statuses and error texts as the live service (see EP-BEHAVIOUR.md), held in memory.
 *
 *   const emulator = createEmulator();
 *   const baseUrl = await emulator.listen();
 *   const token = emulator.issueToken();
 */
import { createServer, type Server } from 'node:http';
import { closeServer, listen } from '../http/listen.js';
import { TokenRegistry, type TokenKind } from './auth.js';
import { createRequestListener, type RecordedRequest } from './dispatch.js';
import { createFaultInjector, type FaultController, type FaultSettings } from './faults.js';
import { answerClientError } from './http.js';
import { Integrations } from './integrations.js';
import { seedDemoData } from './seed.js';
import { EmulatorStore } from './store.js';

export interface EmulatorOptions {
  /** @default 'demo-client' */
  clientId?: string;
  /** @default 'demo-secret' */
  clientSecret?: string;
  /**
   * Start with the demo accounts, members and memberships of `DEMO` (seed.ts).
   * @default true
   */
  seed?: boolean;
  /**
   * How long the access tokens of `POST /oauth/access_token` and `issueToken()` last.
   * @default 3600 (Elastic Path's hour)
   */
  tokenLifetimeS?: number;
  /**
   * Memberships one account may hold before the next answers 400.
   * @default 1000
   */
  membershipLimit?: number;
  /**
   * `page[limit]` when a request sends none.
   * @default 25
   */
  defaultPageLength?: number;
  /**
   * Keep every request in `requests`. Turn off for long runs and benchmarks: the list only grows.
   * @default true
   */
  recordRequests?: boolean;
  /**
   * Faults to inject from the start (latency, 5xx/429 answers, resets, truncated bodies, stale
   * keep-alive); `faults.set()` changes them later. See faults.ts.
   * @default {} (normal service)
   */
  faults?: FaultSettings;
}

export interface Emulator {
  readonly server: Server;
  /** Resolves with the base URL, e.g. `http://127.0.0.1:4010`. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops listening and closes idle keep-alive connections; resolves once all are closed. */
  close(): Promise<void>;
  readonly store: EmulatorStore;
  /**
   * A token as POST /oauth/access_token would issue it, valid for `tokenLifetimeS`; with
   * `{ expires: false }`, one that lasts as long as the emulator (the `npm run dev` session's).
   */
  issueToken(kind?: TokenKind, options?: { expires?: boolean }): string;
  /** The value of an `EP-Account-Management-Authentication-Token` header for `accountId`. */
  issueAccountManagementToken(accountId: string): string;
  /** Every request received, in order (unless `recordRequests` is false). */
  readonly requests: RecordedRequest[];
  clearRequests(): void;
  /** Fault injection: set, clear and count the faults the emulator injects. */
  readonly faults: FaultController;
  /** Webhook integrations, their deliveries and delivery faults. */
  readonly integrations: Integrations;
}

export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const settings = {
    clientId: options.clientId ?? 'demo-client',
    clientSecret: options.clientSecret ?? 'demo-secret',
    defaultPageLength: options.defaultPageLength ?? 25,
  };
  const store = new EmulatorStore({ membershipLimit: options.membershipLimit ?? 1000 });
  if (options.seed ?? true) seedDemoData(store);
  const tokens = new TokenRegistry(options.tokenLifetimeS);
  const requests: RecordedRequest[] = [];
  let origin = 'http://127.0.0.1';
  const faults = createFaultInjector(options.faults);
  const integrations = new Integrations();

  const server = createServer(
    createRequestListener({
      store,
      tokens,
      settings,
      fallbackOrigin: () => origin,
      integrations,
      ...((options.recordRequests ?? true) && { record: (request) => requests.push(request) }),
      faults,
    }),
  );
  server.on('clientError', answerClientError);

  return {
    server,
    store,
    requests,
    faults: faults.controller,
    integrations,
    async listen(port = 0, host = '127.0.0.1') {
      faults.resume();
      origin = await listen(server, port, host);
      return origin;
    },
    close() {
      // A request waiting out injected latency, or a body being cut off, would hold close() up.
      faults.abortPending();
      return closeServer(server);
    },
    issueToken(kind = 'client_credentials', issueOptions = {}) {
      return tokens.issue(kind, issueOptions).accessToken;
    },
    issueAccountManagementToken(accountId) {
      if (store.getAccount(accountId) === undefined) throw new Error(`Account ${accountId} is not in the store`);
      return tokens.issueAccountToken(accountId);
    },
    clearRequests() {
      requests.length = 0;
    },
  };
}
