/**
 * Composes `openapi.yaml` into a supergraph for Hive Gateway (`mesh-compose`, run by
 * `bench/peer/peer.ts`). The upstream is the benchmark's fixed-response upstream, whose port is
 * chosen at run time, so it is composed after that upstream is up and named in PEER_UPSTREAM_URL.
 */
import { defineConfig } from '@graphql-mesh/compose-cli';
import { loadOpenAPISubgraph } from '@omnigraph/openapi';

const endpoint = process.env.PEER_UPSTREAM_URL;
if (!endpoint) throw new Error('PEER_UPSTREAM_URL: the upstream to compose against');

export const composeConfig = defineConfig({
  output: '.tmp/supergraph.graphql',
  subgraphs: [
    {
      sourceHandler: loadOpenAPISubgraph('ElasticPath', {
        source: './openapi.yaml',
        endpoint,
        // Every upstream call carries the caller's own token, as the gateway's do.
        operationHeaders: { Authorization: '{context.headers.authorization}' },
      }),
    },
  ],
});
