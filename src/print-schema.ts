/** Writes the checked-in SDL (`npm run schema:print`); `--check` fails instead when it has drifted. */
import { readFile, writeFile } from 'node:fs/promises';
import { printPublicSchema, printSubgraphSdl } from './schema/sdl.js';

const artifacts = [
  { file: new URL('../schema/schema.graphql', import.meta.url), text: printPublicSchema() },
  { file: new URL('../schema/subgraph.graphql', import.meta.url), text: printSubgraphSdl() },
];

for (const { file, text } of artifacts) {
  if (process.argv.includes('--check')) {
    if ((await readFile(file, 'utf8').catch(() => '')) !== text) {
      process.stderr.write(`${file.pathname} is out of date: run \`npm run schema:print\`.\n`);
      process.exitCode = 1;
    }
  } else {
    await writeFile(file, text);
  }
}
