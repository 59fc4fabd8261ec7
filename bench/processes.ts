/**
 * Starts the emulator (`npm run emulator`, with fault flags) and the gateway (`gateway-process.ts`)
 * as separate processes on loopback ports, so the load generator, the gateway and the emulator do
 * not share one event loop.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startCommand, startProcess, type StartedProcess } from '../test/support/child-process.js';
import { freePort } from '../test/support/ports.js';

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

export async function startProcesses(options: { faultFlags?: string[]; gatewayEnv?: Record<string, string> } = {}): Promise<Processes> {
  // Run from the repository root (npm run bench and soak do), as the tests run these processes.
  const emulator = startProcess('src/emulator/main.ts', { args: options.faultFlags ?? [], env: { EMULATOR_PORT: '0' } });
  const emulatorStarted = await emulator.waitFor(/listening on (http:\/\/\S+)[\s\S]*ready token[^:]*: (\S+)/, 30_000);
  const emulatorUrl = emulatorStarted[1] as string;
  const token = emulatorStarted[2] as string;

  const gatewayProcess = startCommand(
    process.execPath,
    [
      '--import',
      'tsx',
      '--expose-gc',
      ...(process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean),
      fileURLToPath(new URL('./gateway-process.ts', import.meta.url)),
    ],
    { env: { EP_API_BASE_URL: emulatorUrl, LOG_LEVEL: 'silent', ...options.gatewayEnv }, ipc: true },
  );
  const gateway = gatewayProcess.child;
  const gatewayUrl = (await gatewayProcess.waitFor(/gateway at (http:\/\/\S+)/, 30_000))[1] as string;

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
      await gatewayProcess.stop('SIGTERM');
      await emulator.stop('SIGTERM');
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
  /** The same gateway to the fixed upstream with `HTTP_FAST_PATH=false`, when asked for. */
  fixedFullHandlerGateway?: BenchGateway;
  /** The baseline checkout's gateway to the fixed upstream, when asked for. */
  fixedBaselineGateway?: BenchGateway;
  /** The same gateway to the fixed upstream with its quota shared through Redis, when asked for. */
  fixedSharedGateway?: BenchGateway;
  stop(): Promise<void>;
}

/** Builds `dist/`, as production does. */
export function buildGateway(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}

/**
 * The built gateway (`node dist/server.js` in `cwd`) as its own process on a loopback port, in
 * front of `upstreamUrl`, with `env` over the caller's environment.
 */
export async function startBuiltGateway(
  upstreamUrl: string,
  env: Record<string, string>,
  cwd = root,
): Promise<BenchGateway & { stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [...(process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean), 'dist/server.js'],
    {
      cwd,
      env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), EP_API_BASE_URL: upstreamUrl, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt += 1) {
    const healthy = await fetch(`${url}/health`).then(
      (response) => response.ok,
      () => false,
    );
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
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The fixed-response upstream, the emulator (with `latencyMs` added to every answer) and one built
 * gateway in front of each, every one its own process on loopback.
 */
export async function startBenchProcesses(options: {
  latencyMs: number;
  connections: number;
  gatewayEnv: Record<string, string>;
  /** Also a gateway to the fixed upstream with the HTTP fast path off. */
  fullHandler?: boolean;
  /** Also the gateway built in this other checkout (its `dist/server.js`), to the fixed upstream. */
  baseline?: string;
  /** Also a gateway to the fixed upstream whose quota is shared through this Redis. */
  redisUrl?: string;
}): Promise<BenchProcesses> {
  buildGateway();
  const latency = options.latencyMs > 0 ? [`--latency-ms=${options.latencyMs}`] : [];
  const fixed = startProcess('bench/fixed-upstream.ts');
  const fixedUrl = (await fixed.waitFor(/fixed upstream at (http:\/\/\S+)/, 30_000))[1] as string;
  // The fixed upstream answers at once; latency, when asked for, is the emulator's.
  const emulator = startProcess('src/emulator/main.ts', { args: latency, env: { EMULATOR_PORT: '0' } });
  const emulatorUrl = (await emulator.waitFor(/listening on (http:\/\/\S+)/, 30_000))[1] as string;
  const started: StartedProcess[] = [fixed, emulator];
  const stops: Array<() => Promise<void>> = [];

  const gatewayTo = async (upstreamUrl: string, env: Record<string, string> = {}, cwd = root): Promise<BenchGateway> => {
    const gateway = await startBuiltGateway(upstreamUrl, { ...options.gatewayEnv, ...env }, cwd);
    stops.push(gateway.stop);
    return gateway;
  };

  /** Measured only once it decides in Redis (it connects and announces itself first). */
  async function sharedGateway(gateway: BenchGateway): Promise<BenchGateway> {
    for (let attempt = 0; ; attempt += 1) {
      const text = await (await fetch(`${gateway.url}/metrics`)).text();
      if (/^upstream_quota_mode 1$/m.test(text)) return gateway;
      if (attempt > 200) throw new Error('the gateway with REDIS_URL never used the shared quota');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
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
    fixedFullHandlerGateway: options.fullHandler ? await gatewayTo(fixedUrl, { HTTP_FAST_PATH: 'false' }) : undefined,
    // As that checkout ran (its container set no NODE_OPTIONS), unless BENCH_BASELINE_NODE_OPTIONS
    // says otherwise: comparing two builds under the same options isolates a code change.
    fixedBaselineGateway: options.baseline
      ? await gatewayTo(fixedUrl, { NODE_OPTIONS: process.env.BENCH_BASELINE_NODE_OPTIONS ?? '' }, options.baseline)
      : undefined,
    fixedSharedGateway: options.redisUrl ? await sharedGateway(await gatewayTo(fixedUrl, { REDIS_URL: options.redisUrl })) : undefined,
    async stop() {
      for (const stop of stops.reverse()) await stop();
      for (const process of started.reverse()) await process.stop('SIGTERM');
    },
  };
}
