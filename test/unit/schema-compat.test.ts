import { describe, expect, it } from 'vitest';
import { breakingChanges, undeclared } from '../../src/schema/compat.js';

const BEFORE = /* GraphQL */ `
  type Query { membership(id: ID!): Membership }
  type Membership { id: ID! created: Boolean! name: String }
  type Gone { id: ID! }
  union Result = Membership | Gone
  enum Outcome { CREATED EXISTED }
`;

describe('schema compatibility', () => {
  it('finds nothing to object to in additions and deprecations', async () => {
    const after = BEFORE.replace('created: Boolean!', 'created: Boolean! @deprecated(reason: "Use outcome.") outcome: Outcome').replace(
      'type Gone { id: ID! }',
      'type Gone { id: ID! at: String }',
    );
    expect(await breakingChanges(BEFORE, after)).toEqual([]);
  });

  it('reports a removed field and a changed type by their schema coordinates', async () => {
    const after = BEFORE.replace('created: Boolean! ', '').replace('name: String', 'name: Int');
    const paths = (await breakingChanges(BEFORE, after)).map((change) => change.path).sort();
    expect(paths).toEqual(['Membership.created', 'Membership.name']);
  });

  it('reports a new member of a result union, which breaks exhaustive switches', async () => {
    const after = `${BEFORE}\ntype Other { id: ID! }`.replace('Membership | Gone', 'Membership | Gone | Other');
    expect((await breakingChanges(BEFORE, after)).map((change) => change.path)).toEqual(['Result']);
  });

  it('lets a commit trailer or a listed note declare a break, and nothing else', async () => {
    const after = BEFORE.replace('created: Boolean! ', '').replace('name: String', 'name: Int');
    const found = await breakingChanges(BEFORE, after);
    expect(undeclared(found, 'Schema-Breaking: Membership.created no client reads it').map((c) => c.path)).toEqual(['Membership.name']);
    expect(undeclared(found, '- `Membership.name`: widened on purpose\n- `Membership.created`: gone').map((c) => c.path)).toEqual([]);
    expect(
      undeclared(found, 'mentions Membership.created in passing')
        .map((c) => c.path)
        .sort(),
    ).toEqual(['Membership.created', 'Membership.name']);
  });
});
