/**
 * `_entities` refuses representations whose `__typename` names no entity of this subgraph, before
 * it resolves any: the federation resolver would throw a plain Error for them, which callers see
 * masked as an unexpected error, with nothing to act on.
 */
import { isUnionType, type GraphQLSchema } from 'graphql';
import { unknownRepresentations } from '../domain/errors.js';

export function refuseUnknownRepresentations(schema: GraphQLSchema): void {
  const field = schema.getQueryType()?.getFields()._entities;
  const entity = schema.getType('_Entity');
  const resolve = field?.resolve;
  if (!field || !resolve || !isUnionType(entity)) return;
  const names = entity.getTypes().map((type) => type.name);
  const known = new Set(names);
  field.resolve = (source, args: { representations?: unknown }, context, info) => {
    const representations = Array.isArray(args.representations) ? args.representations : [];
    const unknown: Array<{ position: number; typename: unknown }> = [];
    representations.forEach((representation, index) => {
      const typename = (representation as { __typename?: unknown } | null)?.__typename;
      if (typeof typename !== 'string' || !known.has(typename)) unknown.push({ position: index + 1, typename });
    });
    if (unknown.length > 0) throw unknownRepresentations(unknown, names);
    return resolve(source, args, context, info);
  };
}
