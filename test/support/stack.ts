/** The gateway and the Elastic Path emulator, both real servers on loopback ports. */
import type { RecordedRequest } from '../../src/emulator/dispatch.js';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/emulator.js';
import { seedDemoData } from '../../src/emulator/seed.js';
import { startGateway, type TestGateway, type TestGatewayOptions } from './gateway.js';

export interface Stack {
  emulator: Emulator;
  gateway: TestGateway;
  /** The emulator's base URL, e.g. http://127.0.0.1:40123. */
  upstreamUrl: string;
  /** A ready `Authorization` header value with a client_credentials token. */
  authorization: string;
  /** Requests the emulator received, except logins. */
  upstreamCalls(): RecordedRequest[];
  /**
   * Puts the emulator back as it started (its seed data only, no requests recorded, no faults), so
   * that what one test wrote is not there for the next. Tokens stay valid.
   */
  reset(): void;
  close(): Promise<void>;
}

export async function startStack(
  options: { emulator?: EmulatorOptions; gateway?: Omit<TestGatewayOptions, 'upstreamUrl'> } = {},
): Promise<Stack> {
  const emulator = createEmulator(options.emulator);
  const url = await emulator.listen(0);
  const gateway = await startGateway({ ...options.gateway, upstreamUrl: url });
  return {
    emulator,
    gateway,
    upstreamUrl: url,
    authorization: `Bearer ${emulator.issueToken()}`,
    upstreamCalls: () => emulator.requests.filter((request) => request.path !== '/oauth/access_token'),
    reset() {
      emulator.store.clear();
      if (options.emulator?.seed ?? true) seedDemoData(emulator.store);
      emulator.clearRequests();
      emulator.faults.clear();
      emulator.integrations.clear();
    },
    async close() {
      await gateway.close();
      await emulator.close();
    },
  };
}
