/**
 * A tiny OTLP/HTTP traces receiver on loopback: accepts `POST /v1/traces` in the JSON encoding
 * (what `@opentelemetry/exporter-trace-otlp-http` sends) and keeps every export for assertions.
 * Anything else it answers 404 (wrong path) or 415 (protobuf), and records as refused.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** The parts of an OTLP JSON `ExportTraceServiceRequest` the tests read. */
export interface OtlpExport {
  resourceSpans: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans: Array<{ scope?: { name?: string }; spans: OtlpSpan[] }>;
  }>;
}

export interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: number | string; boolValue?: boolean };
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttribute[];
}

export interface OtlpCollector {
  /** e.g. http://127.0.0.1:4318/v1/traces */
  tracesUrl: string;
  exports: OtlpExport[];
  /** The headers of each accepted export, in the same order. */
  exportHeaders: IncomingHttpHeaders[];
  /** Requests it could not accept: `METHOD path content-type`. */
  refused: string[];
  close(): Promise<void>;
}

export async function startOtlpCollector(): Promise<OtlpCollector> {
  const exports: OtlpExport[] = [];
  const exportHeaders: IncomingHttpHeaders[] = [];
  const refused: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const contentType = req.headers['content-type'] ?? '';
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        refused.push(`${req.method} ${req.url} ${contentType}`);
        res.writeHead(404).end();
        return;
      }
      if (!/^application\/json\b/i.test(contentType)) {
        refused.push(`${req.method} ${req.url} ${contentType}`);
        res.writeHead(415).end();
        return;
      }
      exports.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport);
      exportHeaders.push(req.headers);
      // An empty ExportTraceServiceResponse: everything accepted.
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    tracesUrl: `http://127.0.0.1:${port}/v1/traces`,
    exports,
    exportHeaders,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A string attribute's value, wherever it sits. */
export function stringAttribute(attributes: OtlpAttribute[] | undefined, key: string): string | undefined {
  return attributes?.find((attribute) => attribute.key === key)?.value.stringValue;
}
