/**
 * The README's supergraph recipe runs: `examples/supergraph/supergraph.yaml` composes with both
 * compositions routers use, through `npm run supergraph`'s own code, and the checked-in subgraph
 * SDL composes with a second subgraph that extends one of its entities.
 */
import { fileURLToPath } from 'node:url';
import { print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { compose, readSupergraphConfig, type Composer } from '../../examples/supergraph/compose.js';
import { ORDERS_TYPE_DEFS } from './orders-subgraph.js';

const CONFIG = fileURLToPath(new URL('../../examples/supergraph/supergraph.yaml', import.meta.url));

describe.each<Composer>(['apollo', 'guild'])('the supergraph recipe composed with %s', (composer) => {
  it('composes the checked-in subgraph SDL alone, routed to the gateway', async () => {
    const subgraphs = await readSupergraphConfig(CONFIG);
    expect(subgraphs.map(({ name, url }) => ({ name, url }))).toEqual([{ name: 'memberships', url: 'http://localhost:4000/graphql' }]);
    const supergraph = compose(subgraphs, composer);
    expect(supergraph).toMatch(/MEMBERSHIPS @join__graph\(name: "memberships", url: "http:\/\/localhost:4000\/graphql"\)/);
    expect(supergraph).toMatch(/type AccountMember\b[^{]*@join__type\(graph: MEMBERSHIPS, key: "id"\)/);
  });

  it('composes with another subgraph that extends AccountMember', async () => {
    const [memberships] = await readSupergraphConfig(CONFIG);
    const orders = { name: 'orders', url: 'http://localhost:4001/graphql', sdl: print(ORDERS_TYPE_DEFS) };
    const supergraph = compose([memberships!, orders], composer);
    expect(supergraph).toMatch(/ORDERS @join__graph\(name: "orders"/);
    expect(supergraph).toMatch(/orders\b.*: \[Order!\]!.*@join__field\(graph: ORDERS\)/);
  });

  it('names every composition error instead of writing a broken supergraph', async () => {
    const [memberships] = await readSupergraphConfig(CONFIG);
    const clash = { name: 'clash', url: 'http://localhost:4002/graphql', sdl: 'type Query { accountMember(id: ID!): Int }' };
    expect(() => compose([memberships!, clash], composer)).toThrow(/accountMember/);
  });
});
