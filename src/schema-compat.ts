/**
 * Fails on a breaking change to the checked-in SDL (`npm run schema:compat`): clients and routers
 * build on this schema, so a removal, a type change or a new member in a result union needs a
 * deprecation path first, or a declaration that the break is deliberate.
 *
 * It compares each file under schema/ with its text at `--base` (default `HEAD~1`, the last
 * commit); `--history`, as CI runs it, checks every commit since this check was added against its
 * parent. A breaking change is declared by a line `Schema-Breaking: <path> …` in the message of
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

/** Compares the SDL at `before` (a revision) with `after` (a revision, or the working tree). */
async function check(before: string, after: string | undefined, declarations: string): Promise<number> {
  let found = 0;
  for (const file of SDL_FILES) {
    let old: string;
    try {
      old = git('show', `${before}:${file}`);
    } catch {
      continue; // the file is new since then: nothing it can break
    }
    const now = after ? git('show', `${after}:${file}`) : await readFile(file, 'utf8');
    for (const change of undeclared(await breakingChanges(old, now), declarations)) {
      process.stderr.write(
        `${file} (${after ?? 'working tree'} against ${before}): breaking change at ${change.path}: ${change.message}\n`,
      );
      found += 1;
    }
  }
  return found;
}

function exists(revision: string): boolean {
  try {
    git('rev-parse', '--verify', '--quiet', `${revision}^{commit}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * `--history`: every commit on the main line since this check was added, each against its first
 * parent, so that a break in any commit of a submission is caught, not only in its last.
 */
function historyPairs(): Array<[string, string]> {
  const added = git('log', '--diff-filter=A', '--format=%H', '--', 'src/schema-compat.ts').trim().split('\n').pop();
  if (!added) return [];
  return git('rev-list', '--first-parent', '--reverse', `${added}..HEAD`, '--', 'schema')
    .split('\n')
    .filter(Boolean)
    .map((commit) => [`${commit}^1`, commit]);
}

async function main(): Promise<void> {
  const note = await readFile(NOTE_FILE, 'utf8').catch(() => '');
  let found = 0;
  if (process.argv.includes('--history')) {
    const pairs = historyPairs();
    for (const [parent, commit] of pairs)
      found += await check(parent, commit, `${git('log', '--format=%B', `${parent}..${commit}`)}\n${note}`);
    if (!found) process.stdout.write(`schema:compat: no undeclared breaking change in ${pairs.length} commit(s) that changed schema/.\n`);
  } else {
    const baseAt = process.argv.indexOf('--base');
    const base = baseAt >= 0 ? process.argv[baseAt + 1] : 'HEAD~1';
    if (!base) throw new Error('--base needs a revision, for example --base origin/main');
    if (!exists(base)) {
      process.stdout.write(`schema:compat: no revision ${base} to compare with (a first commit or a shallow clone); nothing to check.\n`);
      return;
    }
    found = await check(base, undefined, `${git('log', '--format=%B', `${base}..HEAD`)}\n${note}`);
    if (!found) process.stdout.write(`schema:compat: no undeclared breaking change since ${base}.\n`);
  }
  if (found) {
    process.stderr.write(
      `Deprecate first and remove later, or declare the break: a line "Schema-Breaking: <path> <why>" in the commit message, or "- \`<path>\`: <why>" in ${NOTE_FILE}.\n`,
    );
    process.exitCode = 1;
  }
}

await main();
