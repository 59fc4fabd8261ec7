import { defineConfig } from 'vitest/config';
import { resolve } from './vitest.config.js';

/** The browser test: a real `npm run dev` driven through Debian's Chromium. */
export default defineConfig({
  resolve,
  test: { include: ['test/browser/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000, allowOnly: !process.env.CI },
});
