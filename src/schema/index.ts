/** Imports every type module for its side effects on the builder, then builds the schemas. */
import { builder } from './builder.js';
import { refuseUnknownRepresentations } from './representations.js';
import './errors.js';
import './account-member.js';
import './account.js';
import './account-membership.js';
import './account-membership-event.js';

/** The served schema: the public API plus the federation subgraph fields (`_service`, `_entities`). */
export const schema = builder.toSubGraphSchema({
  // v2.9 brings demand control's @cost and @listSize, which each field's cost declaration emits.
  linkUrl: 'https://specs.apollo.dev/federation/v2.9',
  federationDirectives: ['@key', '@cost', '@listSize'],
});
refuseUnknownRepresentations(schema);

/** The public API alone, as clients see it (printed to `schema/schema.graphql`). */
export const publicSchema = builder.toSchema();
