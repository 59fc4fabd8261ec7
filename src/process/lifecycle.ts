/**
 * How every entry point lives as a process (`npm start`, `npm run dev`, `npm run emulator`, the
 * benchmark's servers): a port it cannot have is one line on stderr and exit 1, not a stack trace;
 * SIGTERM or SIGINT stops it once, in order, and exits; and under npm, a parent that goes away
 * without passing a signal on (SIGKILL) stops it too, so nothing lives on as an orphan.
 */

/** Errors `listen` gives for an address this process cannot have. */
const LISTEN_REFUSALS: Record<string, string> = {
  EADDRINUSE: 'is already in use',
  EACCES: 'needs privileges this process does not have',
  EADDRNOTAVAIL: 'is not an address of this machine',
};

interface ListenError extends Error {
  code?: string;
  address?: string;
  port?: number;
}

/**
 * Runs `listen`; when the address is refused, prints `<what> could not listen on host:port: it is
 * already in use. …` naming the setting to change (from `ports`, the settings that choose a port)
 * and exits 1. Any other failure is rethrown.
 */
export async function listenOrExit<T>(what: string, listen: () => Promise<T>, ports: Record<string, number | undefined>): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    const { code, address, port } = error as ListenError;
    const refusal = code === undefined ? undefined : LISTEN_REFUSALS[code];
    if (!refusal) throw error;
    const settings = Object.entries(ports)
      .filter(([, value]) => value === port)
      .map(([name]) => name);
    const advice =
      settings.length > 0 ? `stop whatever holds it, or set ${settings.join(' or ')} to another port` : 'choose another address';
    process.stderr.write(`${what} could not listen on ${address ?? '?'}:${port ?? '?'}: it ${refusal} (${code}); ${advice}.\n`);
    process.exit(1);
  }
}

export interface StopReporter {
  stopping(signal: NodeJS.Signals): void;
  failed(error: unknown): void;
}

/**
 * SIGTERM and SIGINT call `stop` once, then exit 0 (1 when it fails). Under npm (npm_lifecycle_event
 * is set), a change of parent process counts as SIGHUP: npm or tsx was killed outright.
 */
export function stopOnSignals(
  stop: (signal: NodeJS.Signals) => Promise<void>,
  report: StopReporter,
  env: NodeJS.ProcessEnv = process.env,
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    report.stopping(signal);
    stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        report.failed(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  if (env.npm_lifecycle_event) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) onSignal('SIGHUP');
    }, 250).unref();
  }
}
