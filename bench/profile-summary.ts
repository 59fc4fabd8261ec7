/**
 * `npx tsx bench/profile-summary.ts <file.cpuprofile> [top]`: the functions with the most self
 * time in a V8 CPU profile (as written by `node --cpu-prof`), grouped by function and file, and by
 * package. Used with `GATEWAY_NODE_ARGS='--cpu-prof --cpu-prof-dir=.tmp/prof' npm run bench`.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]');
  process.exit(1);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMs = new Map<number, number>();
for (const [index, id] of profile.samples.entries()) selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
const total = [...selfMs.values()].reduce((sum, ms) => sum + ms, 0);

const where = (url: string) => {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^node:/, '') || '(native)';
};
const packageOf = (url: string) => {
  const modules = url.lastIndexOf('node_modules/');
  if (modules < 0)
    return url.includes('/src/') || url.includes('/dist/') ? '(gateway)' : url.startsWith('node:') ? '(node)' : '(v8/native)';
  const rest = url.slice(modules + 'node_modules/'.length).split('/');
  return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? '?');
};

const functions = new Map<string, number>();
const packages = new Map<string, number>();
for (const [id, ms] of selfMs) {
  const frame = byId.get(id)?.callFrame;
  if (!frame) continue;
  const key = `${frame.functionName || '(anonymous)'}  ${where(frame.url)}:${frame.lineNumber + 1}`;
  functions.set(key, (functions.get(key) ?? 0) + ms);
  const pkg = frame.functionName.startsWith('(') ? frame.functionName : packageOf(frame.url);
  packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
}

const show = (title: string, entries: Map<string, number>, count: number) => {
  console.log(`\n${title}`);
  for (const [name, ms] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    console.log(`${((ms / total) * 100).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(6)} ms  ${name}`);
  }
};
console.log(`${file}: ${total.toFixed(0)} ms sampled`);
show('self time by package', packages, 15);
show('self time by function', functions, top);
