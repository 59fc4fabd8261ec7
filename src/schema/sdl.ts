/** The SDL artifacts as printed text; `print-schema.ts` writes them and the drift tests compare them. */
import { printSubgraphSchema } from '@apollo/subgraph';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { publicSchema, schema } from './index.js';

/** The public API, sorted: what clients and codegen read. */
export function printPublicSchema(): string {
  return `${printSchema(lexicographicSortSchema(publicSchema))}\n`;
}

/** The federation SDL with its `@link` and `@key` directives: what routers and composition read. */
export function printSubgraphSdl(): string {
  return `${printSubgraphSchema(schema).trim()}\n`;
}
