/** The gateway and the Elastic Path emulator, both real servers on loopback ports. */
import { createEmulator, type Emulator, type EmulatorOptions, type RecordedRequest } from '../../src/emulator/emulator.js';
import { startGateway, type TestGateway, type TestGatewayOptions } from './gateway.js';

export interface Stack {
  emulator: Emulator;
  gateway: TestGateway;
  /** A ready `Authorization` header value with a client_credentials token. */
  authorization: string;
  /** Requests the emulator received, except logins. */
  upstreamCalls(): RecordedRequest[];
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
    authorization: `Bearer ${emulator.issueToken()}`,
    upstreamCalls: () => emulator.requests.filter((request) => request.path !== '/oauth/access_token'),
    async close() {
      await gateway.close();
      await emulator.close();
    },
  };
}
