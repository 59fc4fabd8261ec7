/**
 * `npm run emulator`: the Elastic Path emulator as a process. Settings come from EMULATOR_HOST,
 * EMULATOR_PORT, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET and EMULATOR_TOKEN_LIFETIME_S through
 * `loadEmulatorConfig`, the project's one reader of the environment; faults to inject come from
 * flags (`npm run emulator -- --error-rate=503:0.1`, see fault-flags.ts).
 */
import { loadEmulatorConfig, settingsOrExit } from '../config.js';
import { createEmulator } from './emulator.js';
import { FAULT_FLAG_USAGE, FaultFlagError, parseFaultFlags } from './fault-flags.js';
import { describeFaults, type FaultSettings } from './faults.js';
import { DEMO } from './seed.js';
import { listenOrExit, stopOnSignals } from '../process/lifecycle.js';

async function main(): Promise<number> {
  let faults: FaultSettings;
  try {
    faults = parseFaultFlags(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof FaultFlagError)) throw error;
    console.error(`Elastic Path emulator not started. ${error.message}\nFault flags:\n  ${FAULT_FLAG_USAGE}`);
    return 1;
  }
  // Print the seed of a random run, so that it can be repeated with --fault-seed.
  if (faults.seed === undefined && describeFaults(faults) !== 'none') {
    faults = { ...faults, seed: Math.floor(Math.random() * 4_294_967_296) };
  }

  const config = settingsOrExit(() => loadEmulatorConfig(process.env), 'Elastic Path emulator not started.');

  // A long-running process must not keep every request it ever received.
  const emulator = createEmulator({
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    tokenLifetimeS: config.tokenLifetimeS,
    recordRequests: false,
    faults,
  });
  const baseUrl = await listenOrExit('Elastic Path emulator', () => emulator.listen(config.port, config.host), {
    EMULATOR_PORT: config.port,
  });

  // Before the start-up output: whoever reads it may stop the process straight away.
  stopOnSignals(() => emulator.close(), {
    stopping: (signal) => console.log(`Elastic Path emulator stopping (${signal})`),
    failed: (error) => console.error('Elastic Path emulator did not close cleanly', error),
  });

  console.log(
    [
      `Elastic Path emulator listening on ${baseUrl}`,
      `  client_id=${config.clientId} (POST ${baseUrl}/oauth/access_token)`,
      `  ready token (client_credentials, ${config.tokenLifetimeS} s): ${emulator.issueToken()}`,
      `  demo account ${DEMO.accounts.acme.name}: ${DEMO.accounts.acme.id}`,
      `  demo member not yet in it, ${DEMO.members.andy.name}: ${DEMO.members.andy.id}`,
      `  faults: ${describeFaults(faults)}`,
    ].join('\n'),
  );

  return 0;
}

process.exitCode = await main();
