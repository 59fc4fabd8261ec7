/**
 * `GET /metrics`, in one place: on the gateway's own port as a Yoga plugin, or on METRICS_PORT as
 * a listener of its own that answers nothing else. Both answer the same body and headers.
 */
import type { RequestListener } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import { METRICS_PATH } from '../http/paths.js';
import type { Metrics } from '../observability/metrics.js';

const headersOf = (contentType: string) => ({ 'content-type': contentType, 'cache-control': 'no-store' });

/**
 * On the gateway's port. Synchronous for every other request: the body is already flowing (the
 * size limit counts it), and an await here would let it pass unread.
 */
export function useMetricsEndpoint(metrics: Metrics): Plugin {
  return {
    onRequest({ url, request, endResponse, fetchAPI }) {
      if (request.method !== 'GET' || !request.url.includes(METRICS_PATH) || url.pathname !== METRICS_PATH) return undefined;
      return metrics
        .render()
        .then(({ contentType, body }) => endResponse(new fetchAPI.Response(body, { headers: headersOf(contentType) })));
    },
  };
}

/** On METRICS_PORT: `GET /metrics`, and 404 for anything else. */
export function metricsListener(metrics: Metrics): RequestListener {
  return (req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== METRICS_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
      return;
    }
    metrics.render().then(
      ({ contentType, body }) => res.writeHead(200, headersOf(contentType)).end(body),
      () => res.writeHead(500).end(),
    );
  };
}
