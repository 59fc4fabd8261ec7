/**
 * Starts the emulator (`npm run emulator`, with fault flags) and the gateway (`gateway-process.ts`)
 * as separate processes on loopback ports, so the load generator, the gateway and the emulator do
 * not share one event loop.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** A built gateway (`node dist/server.js`) the benchmark drives, and what it has used so far. */
export interface BenchGateway {
  url: string;
  /** Process CPU seconds and upstream attempts so far, from its own /metrics. */
  usage(): Promise<{ cpuSeconds: number; upstreamCalls: number }>;
}

export interface BenchProcesses {
  fixedUrl: string;
  emulatorUrl: string;
  /** One client_credentials token per connection, from the emulator. */
  tokens: string[];
  fixedGateway: BenchGateway;
  emulatorGateway: BenchGateway;
  stop(): Promise<void>;
}

/** A port nothing listens on right now, for a process that cannot report the one it got. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The fixed-response upstream, the emulator (with `latencyMs` added to every answer) and one built
 * gateway in front of each, every one its own process on loopback.
 */
export async function startBenchProcesses(options: {
  latencyMs: number;
  connections: number;
  gatewayEnv: Record<string, string>;
}): Promise<BenchProcesses> {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  const latency = options.latencyMs > 0 ? [`--latency-ms=${options.latencyMs}`] : [];
  const fixed = spawn(process.execPath, ['--import', 'tsx', 'bench/fixed-upstream.ts'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const fixedUrl = (await waitFor(fixed, /fixed upstream at (http:\/\/\S+)/, 'the fixed upstream'))[1] as string;
  // The fixed upstream answers at once; latency, when asked for, is the emulator's.
  const emulator = spawn(process.execPath, ['--import', 'tsx', 'src/emulator/main.ts', ...latency], {
    cwd: root,
    env: { ...process.env, EMULATOR_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const emulatorUrl = (await waitFor(emulator, /listening on (http:\/\/\S+)/, 'the emulator'))[1] as string;
  const children: ChildProcess[] = [fixed, emulator];

  async function gatewayTo(upstreamUrl: string): Promise<BenchGateway> {
    const port = await freePort();
    const child = spawn(process.execPath, [...(process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean), 'dist/server.js'], {
      cwd: root,
      env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), EP_API_BASE_URL: upstreamUrl, ...options.gatewayEnv },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    const url = `http://127.0.0.1:${port}`;
    for (let attempt = 0; ; attempt += 1) {
      const healthy = await fetch(`${url}/health`).then((response) => response.ok, () => false);
      if (healthy) break;
      if (attempt > 300 || child.exitCode !== null) throw new Error(`the gateway to ${upstreamUrl} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return {
      url,
      async usage() {
        const text = await (await fetch(`${url}/metrics`)).text();
        const sum = (name: string) =>
          text
            .split('\n')
            .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
            .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
        return { cpuSeconds: sum('process_cpu_seconds_total'), upstreamCalls: sum('upstream_requests_total') };
      },
    };
  }

  const tokens = await Promise.all(
    Array.from({ length: options.connections }, async () => {
      const response = await fetch(`${emulatorUrl}/oauth/access_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret',
      });
      return `Bearer ${((await response.json()) as { access_token: string }).access_token}`;
    }),
  );
  return {
    fixedUrl,
    emulatorUrl,
    tokens,
    fixedGateway: await gatewayTo(fixedUrl),
    emulatorGateway: await gatewayTo(emulatorUrl),
    async stop() {
      for (const child of children.reverse()) {
        if (child.exitCode !== null) continue;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
