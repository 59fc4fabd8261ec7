/**
 * The peer `npm run bench:peer` measures beside the gateway: what a user would pick instead of
 * writing one, GraphQL Mesh (`mesh-compose` with `@omnigraph/openapi`, over `openapi.yaml`)
 * served by Hive Gateway (`hive-gateway supergraph`), in front of the same fixed upstream, every
 * upstream call carrying the caller's own `Authorization`. Its packages are its own
 * (`bench/peer/package.json` and lock), out of the gateway's dependencies, installed here with
 * `npm ci` on first use.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/support/ports.js';
import type { BenchGateway } from '../processes.js';
import { processCpuSeconds } from './process-cpu.js';

const dir = fileURLToPath(new URL('.', import.meta.url));

export interface BenchPeer extends BenchGateway {
  /** What runs, with versions, for the report. */
  description: string;
  stop(): Promise<void>;
}

function manifest(name: string): { version: string; bin?: Record<string, string> } {
  return JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8'));
}

/** The script behind a package's command, to run with this Node (so the pid is the server's own). */
function command(name: string, bin: string): string {
  return join(dir, 'node_modules', name, manifest(name).bin?.[bin] as string);
}

/** `npm ci` in bench/peer, unless its packages are there already. */
export function installPeer(): void {
  if (existsSync(join(dir, 'node_modules', '@graphql-hive', 'gateway', 'package.json'))) return;
  console.log('Installing the benchmark peer (bench/peer, npm ci)…');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit', shell: process.platform === 'win32' });
}

/**
 * Composes the supergraph against `upstreamUrl` (known only once the fixed upstream is up) into
 * bench/peer/.tmp, then serves it with Hive Gateway as its own process on a loopback port.
 */
export async function startPeer(upstreamUrl: string): Promise<BenchPeer> {
  mkdirSync(join(dir, '.tmp'), { recursive: true });
  try {
    execFileSync(process.execPath, [command('@graphql-mesh/compose-cli', 'mesh-compose')], {
      cwd: dir,
      env: { ...process.env, PEER_UPSTREAM_URL: upstreamUrl },
      stdio: 'pipe',
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`mesh-compose failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }

  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      command('@graphql-hive/gateway', 'hive-gateway'),
      'supergraph',
      '.tmp/supergraph.graphql',
      ...['--config-path', 'gateway.config.ts', '--host', '127.0.0.1', '--port', String(port)],
      // One process, as the gateway runs in the benchmark (and so its CPU is one pid's).
      ...['--fork', '1'],
    ],
    { cwd: dir, env: process.env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt += 1) {
    const ready = await fetch(`${url}/readiness`).then((response) => response.ok, () => false);
    if (ready) break;
    if (attempt > 600 || child.exitCode !== null) throw new Error(`the peer (Hive Gateway) to ${upstreamUrl} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const pid = child.pid as number;
  return {
    url,
    description:
      `Mesh peer: @graphql-hive/gateway ${manifest('@graphql-hive/gateway').version}, ` +
      `@graphql-mesh/compose-cli ${manifest('@graphql-mesh/compose-cli').version}, ` +
      `@omnigraph/openapi ${manifest('@omnigraph/openapi').version}, graphql ${manifest('graphql').version}`,
    async usage() {
      const counts = (await (await fetch(`${url}/bench-usage`)).json()) as { upstreamCalls: number; withoutAuthorization: number };
      if (counts.withoutAuthorization > 0) {
        throw new Error(`the peer sent ${counts.withoutAuthorization} upstream calls without the caller's Authorization`);
      }
      return { cpuSeconds: processCpuSeconds(pid), upstreamCalls: counts.upstreamCalls };
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      // Hive Gateway drains before it exits; a run should not hang on it.
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
