/**
 * The frontend example (`examples/typed-client`) run as a team runs it: against `npm run dev`, with
 * the URL and token it prints, and against a gateway that enforces the trusted-documents list the
 * example's own codegen wrote, sending ids only. And its type check, which CI runs against the
 * checked-in SDL, fails when the schema changes under it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/emulator/seed.js';
import { UUID as ID_PATTERN } from '../../src/domain/ids.js';
import { startCommand, startProcess, type StartedProcess } from '../support/child-process.js';
import { startGateway } from '../support/gateway.js';
import { startStack, type Stack } from '../support/stack.js';

const EXAMPLE = 'examples/typed-client/src/main.ts';
const MANIFEST = 'examples/typed-client/src/gql/persisted-documents.json';
/** An id inside a longer pattern: src/domain/ids.ts's, without its anchors. */
const UUID = ID_PATTERN.source.slice(1, -1);
const acme = DEMO.accounts.acme.id;
/** The example's list: `sha256:<hex>` → document. */
const listed = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string>;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function runExample(env: Record<string, string>): Promise<Run> {
  const run = startCommand(process.execPath, ['--import', 'tsx', EXAMPLE], { env });
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe('under npm run dev', () => {
  let dev: StartedProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    dev = startProcess('src/dev.ts', { env: { PORT: '0', EMULATOR_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' } });
    const [, url = ''] = await dev.waitFor(/GraphiQL\s+(http:\/\/\S+)/, 30_000);
    const [, token = ''] = await dev.waitFor(/Authorization header\s+Bearer (\S+)/);
    env = { GATEWAY_URL: url, EP_TOKEN: token };
  }, 40_000);
  afterAll(() => dev?.stop('SIGTERM'));

  it('adds the member, then lists the account page by page', async () => {
    const run = await runExample(env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(
        `^AddMember: AccountMembership: added Andy Dwyer <andy@dwyer\\.com> to account ${acme} \\(membership ${UUID}\\)\n` +
          `Memberships of ${acme} \\(4\\), 2 per page:\n` +
          '  page 1: Andy Dwyer, April Ludgate\n' +
          '  page 2: Leslie Knope, Ron Swanson\n$',
      ),
    );
  });

  it('handles the other members of the result union by __typename', async () => {
    const again = await runExample({ ...env, PAGE_SIZE: '3' });
    expect(again.code).toBe(0);
    expect(again.stdout.split('\n')).toEqual([
      `AddMember: MembershipAlreadyExistsError: already a member: Account member ${DEMO.members.andy.id} is already a member of account ${acme}.`,
      `Memberships of ${acme} (4), 3 per page:`,
      '  page 1: Andy Dwyer, April Ludgate, Leslie Knope',
      '  page 2: Ron Swanson',
      '',
    ]);
    const nobody = '0b000000-0000-4000-8000-0000000000ff';
    const missing = await runExample({ ...env, MEMBER_ID: nobody, PAGE_SIZE: '4' });
    expect(missing.code).toBe(0);
    expect(missing.stdout.split('\n').slice(0, 1)).toEqual([
      `AddMember: NotFoundError: no such AccountMember: Account member ${nobody} was not found.`,
    ]);
    const invalid = await runExample({ ...env, MEMBER_ID: 'not-a-uuid' });
    expect(invalid.stdout.split('\n')[0]).toMatch(/^AddMember: ValidationError: refused \(accountMemberId\): /);
  });

  it("shows a failed call's code and request id, the one the gateway logged", async () => {
    const run = await runExample({ ...env, EP_TOKEN: 'not-a-token-elastic-path-issued' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const [, requestId] =
      new RegExp(
        `^The gateway refused the call: UNAUTHENTICATED: Elastic Path did not accept the access token.* \\(request id (${UUID})\\)\n$`,
      ).exec(run.stderr) ?? [];
    expect(requestId, run.stderr).toBeDefined();
    await dev.waitFor(new RegExp(`"requestId":"${requestId}"`));
  });
});

describe("against a gateway that enforces the example's persisted-documents.json", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ gateway: { env: { TRUSTED_DOCUMENTS_FILE: MANIFEST, TRUSTED_DOCUMENTS_MODE: 'enforce' } } });
  });
  afterAll(() => stack.close());

  it('runs every operation by id alone', async () => {
    const run = await runExample({
      GATEWAY_URL: `${stack.gateway.url}/graphql`,
      EP_TOKEN: stack.authorization,
      SEND_QUERY_TEXT: 'false',
      ACCOUNT_ID: DEMO.accounts.globex.id,
      MEMBER_ID: DEMO.members.ron.id,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(
      new RegExp(
        `^AddMember: AccountMembership: added Ron Swanson <ron@swanson\\.com> to account ${DEMO.accounts.globex.id} \\(membership ${UUID}\\)\n` +
          `Memberships of ${DEMO.accounts.globex.id} \\(2\\), 2 per page:\n  page 1: Ron Swanson, Tom Haverford\n$`,
      ),
    );
    // The operations that ran are the listed ones, known by their hashes.
    const ran = stack.gateway.logs
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"msg":"operation"'))
      .map((line) => (JSON.parse(line) as { documentHash: string }).documentHash);
    expect(new Set(ran)).toEqual(new Set(Object.keys(listed).map((id) => id.replace(/^sha256:/, ''))));
  });

  it("is refused with PERSISTED_QUERY_NOT_FOUND by a gateway that holds another build's list", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'typed-client-'));
    const otherBuild = join(dir, 'persisted-documents.json');
    const otherText = 'query Other { __typename }';
    await writeFile(otherBuild, JSON.stringify({ [`sha256:${createHash('sha256').update(otherText).digest('hex')}`]: otherText }));
    const { port } = stack.emulator.server.address() as AddressInfo;
    const other = await startGateway({ upstreamUrl: `http://127.0.0.1:${port}`, env: { TRUSTED_DOCUMENTS_FILE: otherBuild } });
    try {
      const run = await runExample({ GATEWAY_URL: `${other.url}/graphql`, EP_TOKEN: stack.authorization });
      expect(run.code).toBe(1);
      const addMember = Object.keys(listed)
        .find((id) => listed[id]?.startsWith('mutation AddMember'))
        ?.replace(/^sha256:/, '');
      expect(run.stderr).toMatch(
        new RegExp(
          `^The gateway refused the call: PERSISTED_QUERY_NOT_FOUND: The document ${addMember} is not on the list of trusted documents\\. \\(request id ${UUID}\\)\n$`,
        ),
      );
    } finally {
      await other.close();
    }
  });
});

describe('the type check CI runs', () => {
  it('fails when the schema gains a member of a result union the client handles', async () => {
    // A copy of the example beside a changed SDL, inside the repository so that it resolves the
    // root's node_modules as the example does (.tmp/ is git-ignored).
    await mkdir('.tmp', { recursive: true });
    const root = await mkdtemp(join('.tmp', 'typed-client-'));
    try {
      const example = join(root, 'examples/typed-client');
      await mkdir(join(root, 'schema'), { recursive: true });
      await cp('examples/typed-client', example, { recursive: true, filter: (path) => !path.includes('/gql') });
      const sdl = await readFile('schema/schema.graphql', 'utf8');
      const union = 'union CreateAccountMembershipResult = AccountMembership | ';
      expect(sdl).toContain(union);
      await writeFile(
        join(root, 'schema/schema.graphql'),
        `${sdl.replace(union, `${union}AccountSuspendedError | `)}\ntype AccountSuspendedError implements Error { message: String! }\n`,
      );
      const node = (args: string[], cwd: string) => promisify(execFile)(process.execPath, args, { cwd });
      const bin = (path: string) => join(process.cwd(), 'node_modules', path);
      await node([bin('@graphql-codegen/cli/esm/bin.js'), '--config', 'codegen.ts', '--silent'], example);
      const typecheck = node([bin('typescript/bin/tsc'), '--noEmit', '-p', '.'], example);
      await expect(typecheck).rejects.toMatchObject({
        stdout: expect.stringMatching(
          /src\/main\.ts\(\d+,\d+\): error TS2345: Argument of type '\{ __typename: "AccountSuspendedError"; \}' is not assignable to parameter of type 'never'/,
        ),
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 60_000);
});
