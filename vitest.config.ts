import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export const resolve = {
  // One copy of graphql in the process, or schema objects stop recognising each other. Node
  // itself loads graphql's CommonJS build (as the Pothos and Apollo packages do); Vite would
  // pick its ESM build, so point every import at the one Node uses.
  dedupe: ['graphql'],
  alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
};

export default defineConfig({
  resolve,
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/build.ts'],
    // The browser test needs Chromium: `npm run test:browser`.
    exclude: ['test/browser/**', 'node_modules/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // A committed `.only` would run alone and the rest silently not at all: refused in CI.
    allowOnly: !process.env.CI,
  },
});
