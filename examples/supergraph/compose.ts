/**
 * Composes the subgraphs listed in a rover `supergraph.yaml` into a supergraph SDL, with Apollo's
 * composition (`@apollo/composition`, as rover and Apollo Router use it) or The Guild's
 * (`@theguild/federation-composition`, as Hive Gateway uses it).
 *
 *   npm run supergraph -- [--config examples/supergraph/supergraph.yaml] [--out supergraph.graphql] [--with apollo|guild]
 *
 * Only `schema.file` subgraphs are read; fetch a running subgraph's SDL with
 * `curl -s localhost:4000/graphql -H 'content-type: application/json' -d '{"query":"{ _service { sdl } }"}'`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { composeServices as composeWithApollo } from '@apollo/composition';
import { composeServices as composeWithGuild } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { parse as parseYaml } from 'yaml';

export type Composer = 'apollo' | 'guild';

export interface Subgraph {
  name: string;
  url: string;
  sdl: string;
}

/** Reads a rover supergraph config: each subgraph's name, routing URL and SDL file's text. */
export async function readSupergraphConfig(path: string): Promise<Subgraph[]> {
  const config = parseYaml(await readFile(path, 'utf8')) as {
    subgraphs?: Record<string, { routing_url?: string; schema?: { file?: string } }>;
  };
  return Promise.all(
    Object.entries(config.subgraphs ?? {}).map(async ([name, subgraph]) => {
      const file = subgraph.schema?.file;
      if (!file || !subgraph.routing_url) throw new Error(`${path}: subgraph ${name} needs routing_url and schema.file`);
      return { name, url: subgraph.routing_url, sdl: await readFile(resolve(dirname(path), file), 'utf8') };
    }),
  );
}

/** The supergraph SDL, or an error listing every composition error. */
export function compose(subgraphs: Subgraph[], composer: Composer): string {
  if (composer === 'apollo') {
    const result = composeWithApollo(subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })));
    if (result.errors) throw new Error(result.errors.map((error) => error.message).join('\n'));
    return result.supergraphSdl;
  }
  const result = composeWithGuild(subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })));
  if (!result.supergraphSdl) throw new Error((result.errors ?? []).map((error) => error.message).join('\n'));
  return result.supergraphSdl;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', default: 'examples/supergraph/supergraph.yaml' },
      out: { type: 'string', default: 'supergraph.graphql' },
      with: { type: 'string', default: 'apollo' },
    },
  });
  if (values.with !== 'apollo' && values.with !== 'guild') throw new Error(`--with takes apollo or guild, not ${values.with}`);
  const supergraph = compose(await readSupergraphConfig(values.config), values.with);
  await writeFile(values.out, supergraph);
  process.stdout.write(
    `${values.out}: supergraph composed with ${values.with === 'apollo' ? '@apollo/composition' : '@theguild/federation-composition'}\n`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
