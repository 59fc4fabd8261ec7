// @ts-check
/**
 * Mutation testing (`npm run test:mutation`): StrykerJS changes the modules listed in
 * `mutation-targets.json` one small way at a time and runs the test files listed beside each; a
 * change no test notices is a rule no test holds. Modules and their test files are listed there
 * only, so adding a module is one line.
 *
 * Most of these tests reach `src/` over HTTP, through a gateway started in the test's own process:
 * they see the mutants, but Vitest cannot tell which of them "relate" to a module from the import
 * graph, so related-file filtering is off and coverage is measured per test instead. The process
 * tests, which run the built `dist/`, never see a mutant and are not listed.
 */
import { readFileSync } from 'node:fs';

/** @type {Record<string, string[]>} */
const targets = JSON.parse(readFileSync(new URL('./mutation-targets.json', import.meta.url), 'utf8'));

/** The modules named by `--mutate a.ts,b.ts` (or `-m`), else every listed module. */
function mutated() {
  const args = process.argv;
  const at = args.findIndex((arg) => arg === '--mutate' || arg === '-m' || arg.startsWith('--mutate='));
  const value = at < 0 ? '' : args[at].startsWith('--mutate=') ? args[at].slice('--mutate='.length) : (args[at + 1] ?? '');
  const named = value.split(',').filter(Boolean);
  return named.length > 0 ? named : Object.keys(targets);
}

// Only the test files of the modules being mutated run (`vitest.mutation.config.ts` reads this):
// the first, instrumented run of every listed file would otherwise come before any mutant.
// A module may be named with a line range (`a.ts:10-20`); one not listed brings every listed file.
const files = new Set(mutated().flatMap((module) => targets[module.replace(/:[\d:-]+$/, '')] ?? Object.values(targets).flat()));
process.env.MUTATION_TEST_FILES = JSON.stringify([...files]);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  mutate: Object.keys(targets),
  coverageAnalysis: 'perTest',
  // Two processes, one of them the type checker: the machine is shared, and these tests use real
  // sockets and timers, whose timing a crowded machine would distort (STRYKER_CONCURRENCY raises it).
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  timeoutMS: 10_000,
  reporters: ['html', 'clear-text', 'progress', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 85, break: 85 },
};
