/** Writes the checked-in SDL (`npm run schema:print`); `--check` fails instead when it has drifted. */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from './schema/index.js';

export const SCHEMA_FILE = new URL('../schema/schema.graphql', import.meta.url);

export function printPublicSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

const check = process.argv.includes('--check');
const printed = printPublicSchema();
if (check) {
  const current = await readFile(SCHEMA_FILE, 'utf8').catch(() => '');
  if (current !== printed) {
    process.stderr.write('schema/schema.graphql is out of date: run `npm run schema:print`.\n');
    process.exit(1);
  }
} else {
  await mkdir(new URL('.', SCHEMA_FILE), { recursive: true });
  await writeFile(SCHEMA_FILE, printed);
}
