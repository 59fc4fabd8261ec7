/**
 * Hive Gateway's settings for the benchmark peer, otherwise its defaults. The one addition is a
 * count of upstream calls, and of those sent without the caller's `Authorization`, answered at
 * /bench-usage for `bench/peer/peer.ts`: the fixed upstream counts nothing, and the benchmark
 * refuses a run in which a call went out without the caller's token.
 */
import { defineConfig, type GatewayPlugin } from '@graphql-hive/gateway';

let upstreamCalls = 0;
let withoutAuthorization = 0;

const benchUsage: GatewayPlugin = {
  onFetch({ options }) {
    upstreamCalls += 1;
    const authorization = options.headers?.authorization ?? options.headers?.Authorization;
    if (!authorization?.startsWith('Bearer ')) withoutAuthorization += 1;
  },
  onRequest({ request, endResponse }) {
    if (request.url.endsWith('/bench-usage')) endResponse(Response.json({ upstreamCalls, withoutAuthorization }));
  },
};

export const gatewayConfig = defineConfig({
  // Errors and warnings only, as the gateway runs in the benchmark.
  logging: 'warn',
  plugins: () => [benchUsage],
});
