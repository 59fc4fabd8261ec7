/**
 * Fails on a breaking change to the checked-in SDL (`npm run schema:compat`): clients and routers
 * build on this schema, so a removal, a type change or a new member in a result union needs a
 * deprecation path first, or a declaration that the break is deliberate.
 *
 * It compares each file under schema/ with its text at `--base` (default `HEAD~1`, the last
 * commit). A breaking change is declared by a line `Schema-Breaking: <path> …` in the message of
 * a commit after the base, or by a list item `` - `<path>`: reason `` in schema/breaking-changes.md.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { breakingChanges, undeclared } from './schema/compat.js';

const SDL_FILES = ['schema/schema.graphql', 'schema/subgraph.graphql'] as const;
const NOTE_FILE = 'schema/breaking-changes.md';

function git(...args: string[]): string {
  return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function main(): Promise<void> {
  const baseAt = process.argv.indexOf('--base');
  const base = baseAt >= 0 ? process.argv[baseAt + 1] : 'HEAD~1';
  if (!base) throw new Error('--base needs a revision, for example --base origin/main');
  try {
    git('rev-parse', '--verify', '--quiet', `${base}^{commit}`);
  } catch {
    process.stdout.write(`schema:compat: no revision ${base} to compare with (a first commit or a shallow clone); nothing to check.\n`);
    return;
  }
  const declarations = [git('log', '--format=%B', `${base}..HEAD`), await readFile(NOTE_FILE, 'utf8').catch(() => '')].join('\n');
  let failed = false;
  for (const file of SDL_FILES) {
    let before: string;
    try {
      before = git('show', `${base}:${file}`);
    } catch {
      continue; // the file is new since the base: nothing it can break
    }
    const found = undeclared(await breakingChanges(before, await readFile(file, 'utf8')), declarations);
    for (const change of found) {
      process.stderr.write(`${file}: breaking change at ${change.path}: ${change.message}\n`);
      failed = true;
    }
  }
  if (failed) {
    process.stderr.write(
      `Deprecate first and remove later, or declare the break: a line "Schema-Breaking: <path> <why>" in the commit message, or "- \`<path>\`: <why>" in ${NOTE_FILE}.\n`,
    );
    process.exitCode = 1;
  } else {
    process.stdout.write(`schema:compat: no undeclared breaking change since ${base}.\n`);
  }
}

await main();
