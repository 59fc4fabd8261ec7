/**
 * The single schema builder: plugins, scalars and the empty root types. Types live in
 * `schema/<entity>.ts`, each next to its resolvers.
 */
import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import ErrorsPlugin from '@pothos/plugin-errors';
import FederationPlugin from '@pothos/plugin-federation';
import RelayPlugin from '@pothos/plugin-relay';
import { DateTimeResolver } from 'graphql-scalars';
import type { Context } from './context.js';
import { cost, type CostDirectives } from '../cost/declare.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  Scalars: {
    ID: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date | string };
  };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Connection: { totalCount: number };
  // Demand control's directives (federation v2.9), which routers read from the subgraph SDL.
  Directives: {
    cost: { locations: 'FIELD_DEFINITION' | 'OBJECT'; args: Required<CostDirectives>['cost'] };
    listSize: { locations: 'FIELD_DEFINITION'; args: Required<CostDirectives>['listSize'] };
  };
}>({
  // Fields are non-null unless they say otherwise, as the public contract is written.
  defaultFieldNullability: false,
  // Federation last: it wraps the resolvers the other plugins produce.
  plugins: [ErrorsPlugin, RelayPlugin, DirectivesPlugin, FederationPlugin],
  relay: {
    // Connections here are offset pages of Elastic Path lists; there is no global Node id scheme.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    clientMutationId: 'omit',
    cursorType: 'String',
    // A page's edges and nodes are part of its answer: the page field declares what they cost.
    edgesFieldOptions: { nullable: false, ...cost.within() },
    nodeFieldOptions: { nullable: false, ...cost.within() },
    cursorFieldOptions: cost.free(),
    pageInfoFieldOptions: cost.within(),
    hasNextPageFieldOptions: cost.free(),
    hasPreviousPageFieldOptions: cost.free(),
    startCursorFieldOptions: cost.free(),
    endCursorFieldOptions: cost.free(),
  },
  errors: {
    // Only classes a field lists become data; everything else stays a (masked) GraphQL error.
    defaultTypes: [],
    directResult: true,
  },
});

builder.addScalarType('DateTime', DateTimeResolver, {
  description: 'An instant as an ISO-8601 string in UTC with millisecond precision, e.g. 2021-03-10T07:35:38.883Z.',
});

builder.queryType({ description: "Reads from Elastic Path account management, with the caller's token." });
builder.mutationType({ description: "Writes to Elastic Path account management, with the caller's token." });
builder.subscriptionType({ description: "Live changes, over Server-Sent Events or WebSocket (graphql-ws), with the caller's token." });

builder.globalConnectionField('totalCount', (t) =>
  t.int({
    ...cost.free(),
    description: "How many records match, across all pages (Elastic Path's `meta.results.total`).",
    resolve: (connection) => connection.totalCount,
  }),
);
