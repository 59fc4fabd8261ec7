/**
 * The Vitest configuration StrykerJS runs (`stryker.config.mjs`): only the test files that
 * `mutation-targets.json` lists for the modules being mutated, and no global setup, since none of them
 * runs the built `dist/`.
 */
import { defineConfig } from 'vitest/config';
import targets from './mutation-targets.json' with { type: 'json' };
import { resolve } from './vitest.config.js';

export default defineConfig({
  resolve,
  test: {
    // The files `stryker.config.mjs` chose for the modules it mutates; all listed ones otherwise.
    include: process.env.MUTATION_TEST_FILES
      ? (JSON.parse(process.env.MUTATION_TEST_FILES) as string[])
      : [...new Set(Object.values(targets).flat())],
    // Instrumented sources run slower, and the machine may be shared.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    allowOnly: false,
  },
});
