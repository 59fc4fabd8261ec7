/**
 * A gateway in front of a scripted Elastic Path, shared by the tests of one file (or `describe`):
 * started before them, closed after them, and after each test every scripted reply must have been
 * used (STYLE rule 9) and what the upstream received is forgotten.
 *
 *   let upstream: ScriptedUpstream;
 *   let gateway: TestGateway;
 *   useScriptedGateway({ env: { EP_API_MAX_ATTEMPTS: '1' } }, (started) => ({ upstream, gateway } = started));
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startGateway, type TestGateway, type TestGatewayOptions } from './gateway.js';
import { startScriptedUpstream, type ScriptedUpstream } from './scripted-upstream.js';

export function useScriptedGateway(
  options: Omit<TestGatewayOptions, 'upstreamUrl'>,
  started: (pair: { upstream: ScriptedUpstream; gateway: TestGateway }) => void,
): void {
  let upstream: ScriptedUpstream | undefined;
  let gateway: TestGateway | undefined;
  beforeAll(async () => {
    upstream = await startScriptedUpstream();
    gateway = await startGateway({ ...options, upstreamUrl: upstream.url });
    started({ upstream, gateway });
  });
  afterEach(() => {
    upstream?.verify();
    if (upstream) upstream.received.length = 0;
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });
}
