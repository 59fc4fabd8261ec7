/**
 * The container, as far as it runs without a Docker engine: the Dockerfile's final CMD and
 * HEALTHCHECK commands, read from the Dockerfile itself and run from the repository root (the
 * image's WORKDIR) with the image's ENV, and the commands compose.yaml gives its services.
 * CI runs this file on Node 20, 22 and 24 (`GATEWAY_NODE`).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { gatewayNode, killLeftoverProcesses, startCommand } from '../support/child-process.js';
import { MEMBER_ID, TOKEN } from '../support/ids.js';
import { expectAnswered, operationInFlight, served, settings } from '../support/lifecycle.js';
import { freePort } from '../support/ports.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';

const root = new URL('../..', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

interface Instruction {
  keyword: string;
  args: string;
}

/** The Dockerfile's instructions, stage by stage (continuation lines joined, comments dropped). */
function dockerfileStages(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  const lines = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n');
  for (const line of lines.map((each) => each.trim()).filter(Boolean)) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args };
    if (instruction.keyword === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

/** An exec-form command (`["node", "…"]`); anything else, a shell form included, fails. */
function execForm(json: string | undefined): string[] {
  const command: unknown = JSON.parse(json ?? 'null');
  if (!Array.isArray(command) || command.length === 0 || !command.every((part) => typeof part === 'string')) {
    throw new Error(`expected a JSON array of strings, got ${json}`);
  }
  return command;
}

const stages = dockerfileStages(read('Dockerfile'));
const runtime = stages.at(-1) ?? [];
const last = (keyword: string) => runtime.filter((instruction) => instruction.keyword === keyword).at(-1)?.args;

const image = {
  cmd: execForm(last('CMD')),
  healthcheck: execForm(/^(?:--\S+\s+)*CMD\s+(\[.*\])$/.exec(last('HEALTHCHECK') ?? '')?.[1]),
  /** The runtime stage's `ENV KEY=value` settings, which every process in the image starts with. */
  env: Object.fromEntries(
    runtime
      .filter((instruction) => instruction.keyword === 'ENV')
      .flatMap((instruction) => instruction.args.split(/\s+/))
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)] as [string, string]),
  ),
};

/** Runs an image or compose command from the repository root; `node` is the Node line under test. */
function run(command: readonly string[], env: Record<string, string>) {
  const [program = '', ...args] = command;
  return startCommand(program === 'node' ? gatewayNode : program, args, { env: { ...image.env, ...env } });
}

let upstream: ScriptedUpstream | undefined;

afterEach(async () => {
  await killLeftoverProcesses();
  upstream?.verify();
  await upstream?.close();
  upstream = undefined;
});

describe('Dockerfile', () => {
  it('builds every stage on a slim Node image', () => {
    const bases = stages.map((stage) => stage[0]?.args.split(/\s+/)[0]);
    expect(bases.length).toBeGreaterThanOrEqual(2);
    for (const base of bases) expect(base).toMatch(/^node:[^\s:]*-slim$/);
  });

  it('runs the runtime stage as a user that is not root, in production mode, on the default port', () => {
    const user = last('USER');
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(image.env.NODE_ENV).toBe('production');
    // The young generation the benchmark measured (README, Performance); the CMD test runs with it.
    expect(image.env.NODE_OPTIONS).toBe('--max-semi-space-size=32');
    expect(last('EXPOSE')?.split(/\s+/)).toContain(String(loadConfig({}).port));
    expect(last('RUN')).toContain('npm ci --omit=dev');
  });

  it('starts node on built files only, and nothing built imports a devDependency', () => {
    for (const command of [image.cmd, image.healthcheck]) {
      expect(command[0]).toBe('node');
      expect(existsSync(new URL(command[1] ?? '', root))).toBe(true);
    }
    const { dependencies } = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    const builtins = new Set(builtinModules);
    const packageOf = (specifier: string) =>
      specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/');
    const imported = new Set<string>();
    const dist = new URL('dist/', root).pathname;
    for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.js'))) {
      const text = readFileSync(join(dist, file), 'utf8');
      for (const [, , specifier = ''] of text.matchAll(/(?:from|import)\s*\(?\s*(['"])([^'".][^'"]*)\1/g)) {
        if (!specifier.startsWith('node:') && !builtins.has(specifier)) imported.add(packageOf(specifier));
      }
    }
    expect(imported.size).toBeGreaterThan(0);
    expect([...imported].filter((name) => !(name in dependencies))).toEqual([]);
  });
});

describe("the image's CMD", () => {
  it('serves a GraphQL operation, and on SIGTERM finishes it and exits 0', async () => {
    upstream = await startScriptedUpstream();
    const server = await served(run(image.cmd, settings({ EP_API_BASE_URL: upstream.url })));
    const { response, answer } = await operationInFlight(upstream, server.url);

    void server.stop('SIGTERM');
    await server.waitFor(/"msg":"draining"/);
    answer();
    await expectAnswered(response);
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');
    expect(upstream.received.map(({ method, rawUrl }) => `${method} ${rawUrl}`)).toEqual([`GET /v2/account-members/${MEMBER_ID}`]);
    expect(upstream.received[0]?.headers.authorization).toBe(TOKEN);
  });
});

describe("the image's HEALTHCHECK", () => {
  it('exits 0 against the running gateway on its PORT (HOST unset: the wildcard address, asked on loopback)', async () => {
    upstream = await startScriptedUpstream();
    const server = await served(run(image.cmd, settings({ EP_API_BASE_URL: upstream.url })));
    const check = run(image.healthcheck, { PORT: new URL(server.url).port });

    expect(await check.exited).toBe(0);
    expect(check.output()).toBe('');
    // /health is answered by the gateway itself: Elastic Path is not asked.
    expect(upstream.received).toEqual([]);
  });

  it('asks the gateway on the HOST it listens on, not only on 127.0.0.1', async () => {
    upstream = await startScriptedUpstream();
    // Another loopback address: nothing answers for it on 127.0.0.1.
    const server = await served(run(image.cmd, settings({ EP_API_BASE_URL: upstream.url, HOST: '127.0.0.2' })));
    const { port } = new URL(server.url);
    const check = run(image.healthcheck, { HOST: '127.0.0.2', PORT: port });

    expect(await check.exited).toBe(0);
    expect(check.output()).toBe('');
    expect(upstream.received).toEqual([]);
  });

  it('exits 1 and says why when nothing listens on PORT', async () => {
    const port = await freePort();
    const check = run(image.healthcheck, { PORT: String(port) });

    expect(await check.exited).toBe(1);
    expect(check.stderr()).toContain(`GET http://127.0.0.1:${port}/health failed: connect ECONNREFUSED`);
  });

  it('exits 1 when /health answers anything but 200', async () => {
    upstream = await startScriptedUpstream();
    upstream.reply({ status: 503, body: 'draining' });
    const check = run(image.healthcheck, { PORT: new URL(upstream.url).port });

    expect(await check.exited).toBe(1);
    expect(check.stderr()).toContain('/health answered 503');
    expect(upstream.received.map(({ method, rawUrl }) => `${method} ${rawUrl}`)).toEqual(['GET /health']);
  });

  it('gives up on a gateway that accepts the connection but never answers', async () => {
    upstream = await startScriptedUpstream();
    upstream.reply({ hang: true });
    const check = run(image.healthcheck, { PORT: new URL(upstream.url).port });

    expect(await check.exited).toBe(1);
    expect(check.stderr()).toMatch(/failed: no answer within \d+ ms/);
    expect(upstream.abandoned()).toBe(1);
  });

  it('refuses an invalid PORT, naming the variable, as the gateway does', async () => {
    const check = run(image.healthcheck, { PORT: 'eighty' });

    expect(await check.exited).toBe(1);
    expect(check.stderr()).toContain('Invalid PORT');
  });
});

describe('compose.yaml', () => {
  interface Service {
    build?: unknown;
    image?: string;
    command?: string[];
    environment?: Record<string, string>;
    ports?: string[];
    deploy?: { replicas?: number };
    depends_on?: string[];
    configs?: Array<{ source: string; target: string }>;
  }
  const { services, configs } = parseYaml(read('compose.yaml')) as {
    services: Record<string, Service>;
    configs: Record<string, { content: string }>;
  };
  const commandOf = (service: Service | undefined) => service?.command ?? image.cmd;

  it('runs the emulator and the gateway from this image, on built entry points', () => {
    expect(Object.keys(services).sort()).toEqual(['emulator', 'gateway', 'proxy', 'redis']);
    expect(commandOf(services.emulator)).toEqual(['node', 'dist/emulator/main.js']);
    expect(commandOf(services.gateway)).toEqual(['node', 'dist/server.js']);
    for (const service of [services.emulator, services.gateway]) {
      if (!service) continue;
      expect(service.build).toBe('.');
      expect(service.image).toBe(services.gateway?.image);
      expect(existsSync(new URL(commandOf(service)[1] ?? '', root))).toBe(true);
    }
  });

  it('points the gateway at the emulator service and publishes the ports each listens on', () => {
    const emulator = services.emulator?.environment ?? {};
    const gateway = services.gateway?.environment ?? {};
    expect(emulator.EMULATOR_HOST).toBe('0.0.0.0');
    expect(gateway.EP_API_BASE_URL).toBe(`http://emulator:${emulator.EMULATOR_PORT}`);
    expect(services.emulator?.ports).toEqual([`${emulator.EMULATOR_PORT}:${emulator.EMULATOR_PORT}`]);
    expect(gateway.GRAPHIQL).toBe('true');
  });

  it('runs two gateway replicas behind one published port, sharing the quota through the Redis service', () => {
    const gateway = services.gateway ?? {};
    const environment = gateway.environment ?? {};
    const replicas = gateway.deploy?.replicas;
    expect(replicas).toBe(2);
    // Replicas cannot share a host port: only the proxy publishes one.
    expect(gateway.ports).toBeUndefined();
    expect(services.proxy?.ports).toEqual([`${environment.PORT}:${environment.PORT}`]);
    expect(services.proxy?.depends_on).toContain('gateway');
    const proxyConfig = configs[services.proxy?.configs?.[0]?.source ?? '']?.content ?? '';
    expect(services.proxy?.configs?.[0]?.target).toBe('/etc/nginx/nginx.conf');
    expect(proxyConfig).toContain(`server gateway:${environment.PORT};`);
    expect(proxyConfig).toContain(`listen ${environment.PORT};`);
    expect(proxyConfig).toMatch(/proxy_pass http:\/\/gateway;/);

    // The shared quota: a valid REDIS_URL naming the Redis service on its port, no persistence.
    const config = loadConfig(environment);
    expect(config.redisUrl).toBe('redis://redis:6379');
    expect(gateway.depends_on).toContain('redis');
    expect(services.redis?.image).toMatch(/^(redis|valkey\/valkey):/);
    expect(services.redis?.command?.join(' ')).toMatch(/--save\s+--appendonly no/);
    // While Redis is unreachable each replica takes its share of the budget, never the whole of it.
    expect(config.epFleetSize).toBe(replicas);
  });

  it("runs the services' commands together: a demo operation answered by the emulator through the gateway", async () => {
    const emulatorService = services.emulator ?? {};
    const gatewayService = services.gateway ?? {};
    // Loopback and free ports instead of the published ones; everything else as compose sets it.
    const emulator = run(commandOf(emulatorService), {
      ...emulatorService.environment,
      EMULATOR_HOST: '127.0.0.1',
      EMULATOR_PORT: '0',
    });
    const [, emulatorUrl = '', token = '', accountId = ''] = await emulator.waitFor(
      /listening on (http:\S+)[\s\S]*ready token[^:]*: (\w+)[\s\S]*demo account [^:]*: ([\w-]+)/,
    );
    const gateway = await served(
      run(commandOf(gatewayService), settings({ ...gatewayService.environment, EP_API_BASE_URL: emulatorUrl, PORT: '0' })),
    );

    const answer = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: `{ account(id: "${accountId}") { name } }` }),
    });
    expect(await answer.json()).toEqual({
      data: { account: { name: 'Acme Corporation' } },
      extensions: { cost: { estimated: 1, actual: 1 } },
    });
    // GraphiQL is on for the demo despite the image's NODE_ENV=production.
    const graphiql = await fetch(`${gateway.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(graphiql.status).toBe(200);
    expect(await graphiql.text()).toContain('GraphiQL');

    expect(await gateway.stop('SIGTERM')).toBe(0);
    expect(await emulator.stop('SIGTERM')).toBe(0);
  });
});
