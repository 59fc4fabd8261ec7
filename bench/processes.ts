/**
 * Starts the emulator (`npm run emulator`, with fault flags) and the gateway (`gateway-process.ts`)
 * as separate processes on loopback ports, so the load generator, the gateway and the emulator do
 * not share one event loop.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface Processes {
  emulatorUrl: string;
  gatewayUrl: string;
  /** `Bearer …` for the emulator. */
  authorization: string;
  /** The gateway's heap after a full garbage collection, in bytes. */
  heapAfterGc(): Promise<number>;
  stats(): Promise<{ calls: number; retries: number; breaker: string }>;
  stop(): Promise<void>;
}

function waitFor(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        // Stop collecting: a gateway logging every operation would grow this string without end.
        child.stdout?.off('data', onData).resume();
        child.stderr?.off('data', onData).resume();
        resolve(match);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}:\n${output}`)));
  });
}

export async function startProcesses(options: { faultFlags?: string[]; gatewayEnv?: Record<string, string> } = {}): Promise<Processes> {
  const emulator = spawn(process.execPath, ['--import', 'tsx', 'src/emulator/main.ts', ...(options.faultFlags ?? [])], {
    cwd: root,
    env: { ...process.env, EMULATOR_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const emulatorStarted = await waitFor(emulator, /listening on (http:\/\/\S+)[\s\S]*ready token[^:]*: (\S+)/, 'the emulator');
  const emulatorUrl = emulatorStarted[1] as string;
  const token = emulatorStarted[2] as string;

  const gateway = fork(fileURLToPath(new URL('./gateway-process.ts', import.meta.url)), [], {
    cwd: root,
    execArgv: ['--import', 'tsx', '--expose-gc', ...(process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean)],
    env: { ...process.env, EP_API_BASE_URL: emulatorUrl, LOG_LEVEL: 'silent', ...options.gatewayEnv },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const gatewayUrl = (await waitFor(gateway, /gateway at (http:\/\/\S+)/, 'the gateway'))[1] as string;

  let nextId = 0;
  function ask<T>(command: string): Promise<T> {
    const id = (nextId += 1);
    return new Promise((resolve) => {
      const onMessage = (message: { id: number; value: T }) => {
        if (message.id !== id) return;
        gateway.off('message', onMessage);
        resolve(message.value);
      };
      gateway.on('message', onMessage);
      gateway.send({ id, command });
    });
  }

  return {
    emulatorUrl,
    gatewayUrl,
    authorization: `Bearer ${token}`,
    heapAfterGc: () => ask<number>('heap'),
    stats: () => ask('stats'),
    async stop() {
      for (const child of [gateway, emulator]) {
        if (child.exitCode !== null) continue;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
