/**
 * The single schema builder: plugins, scalars and the empty root types. Types live in
 * `schema/<entity>.ts`, each next to its resolvers.
 */
import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import { DateTimeResolver } from 'graphql-scalars';
import type { Context } from './context.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  Scalars: {
    ID: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date | string };
  };
  DefaultFieldNullability: false;
}>({
  // Fields are non-null unless they say otherwise, as the public contract is written.
  defaultFieldNullability: false,
  plugins: [ErrorsPlugin],
  errors: {
    // Only classes a field lists become data; everything else stays a (masked) GraphQL error.
    defaultTypes: [],
    directResult: true,
  },
});

builder.addScalarType('DateTime', DateTimeResolver, {
  description:
    'An instant as an ISO-8601 string in UTC with millisecond precision, e.g. 2021-03-10T07:35:38.883Z.',
});

builder.queryType({ description: 'Reads from Elastic Path account management, with the caller\'s token.' });
builder.mutationType({ description: 'Writes to Elastic Path account management, with the caller\'s token.' });
