/**
 * `npm start`, as an operator or a supervisor runs it: a signal to npm alone, or to its whole
 * process group, drains in-flight work and exits 0, and no gateway process outlives npm.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { killLeftoverProcesses, startCommand } from '../support/child-process.js';
import { childrenOf, expectAnswered, isAlive, operationInFlight, served, settings } from '../support/lifecycle.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';

let upstream: ScriptedUpstream | undefined;

afterEach(async () => {
  await killLeftoverProcesses();
  await upstream?.close();
});

// `npm start` compiles the gateway first (prestart), which on a loaded 2-core machine alone can
// take most of the default 20 s.
describe('npm start', { timeout: 90_000 }, () => {
  /** `npm start` and the gateway process it runs. */
  async function npmStart(detached: boolean) {
    upstream = await startScriptedUpstream();
    const npm = await served(startCommand('npm', ['start'], { env: settings({ EP_API_BASE_URL: upstream.url }), detached }));
    const [gatewayPid] = childrenOf(npm.child.pid);
    expect(gatewayPid).toBeDefined();
    return { npm, gatewayPid: gatewayPid! };
  }

  it.each([
    ['SIGTERM', 'the npm process alone', false],
    ['SIGINT', 'the npm process alone', false],
    ['SIGTERM', 'the whole process group', true],
    ['SIGINT', 'the whole process group', true],
  ] as const)('drains on %s sent to %s, exits 0 and leaves no gateway behind', async (signal, _to, group) => {
    const { npm, gatewayPid } = await npmStart(group);
    const { response: inFlight, answer } = await operationInFlight(upstream!, npm.url);

    void (group ? npm.stopGroup(signal) : npm.stop(signal));
    // The gateway has the signal (npm passed it on, or the group got it) before the answer comes.
    await npm.waitFor(/"msg":"draining"/);
    answer();
    await expectAnswered(inFlight);
    expect(await npm.exited).toBe(0);
    expect(npm.output()).toContain('"msg":"stopped"');
    expect(isAlive(gatewayPid)).toBe(false);
  });

  it('runs the gateway with --max-semi-space-size=32, the young-generation size production is measured with', async () => {
    const { npm, gatewayPid } = await npmStart(false);
    // The gateway's own command line, as the kernel holds it: what `npm start` really ran.
    const argv = readFileSync(`/proc/${gatewayPid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    expect(argv.slice(1)).toEqual(['--max-semi-space-size=32', 'dist/server.js']);
    void npm.stop('SIGTERM');
    expect(await npm.exited, npm.output()).toBe(0);
  });

  it('stops the gateway when npm itself is killed outright', async () => {
    const { npm, gatewayPid } = await npmStart(false);
    // Not awaited: npm's output pipes stay open for as long as the gateway holds them.
    npm.child.kill('SIGKILL');
    try {
      for (let waited = 0; isAlive(gatewayPid) && waited < 20_000; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // Should it fail, say what the process is doing (its state and its parent now).
      const status = isAlive(gatewayPid)
        ? readFileSync(`/proc/${gatewayPid}/status`, 'utf8')
            .split('\n')
            .filter((line) => /^(State|PPid):/.test(line))
        : [];
      expect(isAlive(gatewayPid), status.join(', ')).toBe(false);
    } finally {
      if (isAlive(gatewayPid)) process.kill(gatewayPid, 'SIGKILL');
    }
  });
});
