/**
 * The README's Layout section is the map of the source tree: every module under src/ is on it
 * (by its path, or by name on its folder's line), and every path it names exists.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const layout = readme.match(/\n## Layout\n+```\n([\s\S]*?)\n```/)?.[1] ?? '';
const lines = layout.split('\n').filter(Boolean);
/** Each line's first column: a path, a folder (ending in /), or a comma-separated list of them. */
const named = lines.flatMap((line) => {
  const words = line.split(/\s+/);
  const paths = [words[0] ?? ''];
  while (paths.at(-1)?.endsWith(',') && words[paths.length]) paths.push(words[paths.length] as string);
  return paths.map((path) => path.replace(/,$/, ''));
});

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|md)$/.test(entry.name) ? [path] : [];
  });
}

describe("the README's Layout section", () => {
  it('has lines to check', () => {
    expect(lines.length).toBeGreaterThan(40);
  });

  it('lists every module under src/', () => {
    const unlisted = sources('src').filter((file) => {
      if (layout.includes(file)) return false;
      // A folder's line may name its files instead: `src/schema/<entity>.ts  account.ts, …`.
      const folder = file.slice(0, file.lastIndexOf('/') + 1);
      const name = file.slice(folder.length);
      return !lines.some((line) => line.startsWith(folder) && line.includes(name));
    });
    expect(unlisted).toEqual([]);
  });

  it('names only paths that exist', () => {
    const missing = named.filter((path) => !path.includes('<') && !existsSync(join(root, path)));
    expect(missing.map((path) => relative(root, join(root, path)))).toEqual([]);
  });
});
