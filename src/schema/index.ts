/** Imports every type module for its side effects on the builder, then builds the schema. */
import { builder } from '../builder.js';
import './errors.js';
import './account-member.js';
import './account.js';
import './account-membership.js';

export const schema = builder.toSchema();
