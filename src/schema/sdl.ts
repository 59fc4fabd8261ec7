/** The SDL artifacts as printed text; `print-schema.ts` writes them and the drift test compares them. */
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from './index.js';

export function printPublicSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
