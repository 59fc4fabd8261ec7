/**
 * `engines` tells the truth, and `npm ci` holds to it: the range admits no Node the toolchain
 * refuses, and the preinstall check refuses exactly the versions the range excludes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as { engines?: { node?: string }; scripts?: Record<string, string> };
const project = json('package.json');

/** The range forms these packages use: `^x.y.z` and `>=x.y.z`, joined by `||`. */
function satisfies(version: string, range: string): boolean {
  const [major, minor, patch] = version.split('.').map(Number) as [number, number, number];
  const atLeast = (floor: number[]) => major * 1e6 + minor * 1e3 + patch >= floor[0]! * 1e6 + floor[1]! * 1e3 + floor[2]!;
  return range.split('||').some((part) => {
    const match = /^\s*(\^|>=\s*)(\d+)\.(\d+)\.(\d+)\s*$/.exec(part);
    if (!match) throw new Error(`unsupported range part ${JSON.stringify(part)}`);
    const floor = [Number(match[2]), Number(match[3]), Number(match[4])];
    return match[1] === '^' ? major === floor[0] && atLeast(floor) : atLeast(floor);
  });
}

const versions = [
  '18.20.0',
  '20.10.0',
  '20.18.1',
  '20.18.3',
  '20.19.0',
  '20.20.2',
  '21.7.3',
  '22.11.0',
  '22.12.0',
  '23.0.0',
  '24.0.0',
  '25.1.0',
];
const engines = project.engines?.node ?? '';

describe('package.json engines', () => {
  it.each(['vite', 'vitest', 'undici'])('admits no Node version that %s refuses', (name) => {
    const needed = json(`node_modules/${name}/package.json`).engines?.node ?? '';
    for (const version of versions) {
      if (satisfies(version, engines)) expect(satisfies(version, needed), `${name} needs ${needed}; engines admits ${version}`).toBe(true);
    }
  });

  it('is held to by the preinstall script, which npm ci runs: it refuses exactly the versions engines excludes', () => {
    const code = /^node -e "(.*)"$/s.exec(project.scripts?.preinstall ?? '')?.[1];
    expect(code).toBeDefined();
    for (const version of versions) {
      let exitCode = 0;
      const fakeProcess = { versions: { node: version }, version: `v${version}`, exit: (code: number) => (exitCode = code) };
      const fakeConsole = { error: () => {} };
      new Function('process', 'console', code!)(fakeProcess, fakeConsole);
      expect({ version, refused: exitCode !== 0 }).toEqual({ version, refused: !satisfies(version, engines) });
    }
  });
});
