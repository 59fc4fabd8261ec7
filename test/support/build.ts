/**
 * Vitest global setup: compiles the gateway to `dist/` once (`npm run build`), so the tests that
 * run what production runs (`node dist/server.js`, `npm start`) start from the current sources.
 */
import { execFileSync } from 'node:child_process';

export default function build(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
