/**
 * A small second subgraph for the federation tests: orders placed by account members. It knows
 * members only by id and leaves their name, email and memberships to the gateway's subgraph.
 */
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { startServer, type RunningServer } from '../../src/http/server.js';

export const ORDERS_TYPE_DEFS = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])

  type Order @key(fields: "id") {
    id: ID!
    total: Float!
    buyer: AccountMember!
  }

  type AccountMember @key(fields: "id") {
    id: ID!
    orders: [Order!]!
  }

  type Query {
    orders: [Order!]!
  }
`);

export interface OrdersSubgraph extends RunningServer {
  /** Authorization headers the router sent here, one per request. */
  authorizations: Array<string | null>;
}

export async function startOrdersSubgraph(orders: Array<{ id: string; total: number; buyerId: string }>): Promise<OrdersSubgraph> {
  const byBuyer = (buyerId: string) => orders.filter((order) => order.buyerId === buyerId);
  const schema = buildSubgraphSchema({
    typeDefs: ORDERS_TYPE_DEFS,
    resolvers: {
      Query: { orders: () => orders },
      Order: { buyer: (order: { buyerId: string }) => ({ id: order.buyerId }) },
      AccountMember: {
        __resolveReference: (member: { id: string }) => ({ id: member.id }),
        orders: (member: { id: string }) => byBuyer(member.id),
      },
    },
  });
  const authorizations: Array<string | null> = [];
  const yoga = createYoga({
    schema,
    logging: false,
    context: ({ request }) => {
      authorizations.push(request.headers.get('authorization'));
      return {};
    },
  });
  const running = await startServer(yoga, '127.0.0.1', 0);
  return Object.assign(running, { authorizations });
}
