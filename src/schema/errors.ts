/** The `Error` interface and the expected-failure types that result unions list explicitly. */
import { builder } from './builder.js';
import { cost } from '../cost/declare.js';
import { MembershipAlreadyExistsError, MembershipLimitReachedError, NotFoundError, ValidationError } from '../domain/errors.js';

const ErrorInterface = builder.interfaceRef<Error>('Error').implement({
  description: 'An expected failure the caller can act on. `message` is written for people.',
  fields: (t) => ({
    message: t.exposeString('message', { ...cost.free(), description: 'What went wrong and what to do about it.' }),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description: 'The input was refused, by the gateway or by Elastic Path (whose detail is kept in `message`).',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    field: t.exposeString('field', {
      ...cost.free(),
      nullable: true,
      description: 'The argument at fault, when the gateway can tell.',
    }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'A resource the operation needs does not exist (or is not visible to this token).',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    resource: t.exposeString('resource', {
      ...cost.free(),
      description: 'Which kind of resource is missing: "Account", "AccountMember" or "AccountMembership".',
    }),
  }),
});

builder.objectType(MembershipAlreadyExistsError, {
  name: 'MembershipAlreadyExistsError',
  description: 'The account member already belongs to the account.',
  interfaces: [ErrorInterface],
});

builder.objectType(MembershipLimitReachedError, {
  name: 'MembershipLimitReachedError',
  description: 'The account already has as many memberships as Elastic Path allows.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    limit: t.exposeInt('limit', { ...cost.free(), description: 'The most memberships one account can have.' }),
  }),
});
