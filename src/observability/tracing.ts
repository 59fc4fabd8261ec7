/**
 * OpenTelemetry traces, hung off the same two seams as the records: the Yoga plugin chain gives a
 * SERVER span per GraphQL request (continuing the caller's W3C `traceparent`) with `graphql.parse`,
 * `graphql.validate` and `graphql.execute` spans under it for each operation; the upstream client
 * gives a CLIENT span per attempt sent to Elastic Path, under the execute span, and breaker and
 * limiter events on the execute span.
 *
 * Parents are passed explicitly, never through a global tracer provider or context manager: the
 * hot path pays for no AsyncLocalStorage, and several gateways in one process keep their own spans.
 * Span names carry route templates and operation names; no span holds an id, a token, an email or
 * a variable.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanContext,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import type { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import type { UpstreamEvent, UpstreamObserver, UpstreamRequest } from '../upstream/client.js';
import { operationLabel } from './names.js';
import { codeOf, operationOf, recordOf, type OperationRecord } from './records.js';
import { GRAPHQL_PATH } from '../http/paths.js';

export type { SpanExporter };

export interface Tracing {
  plugin: Plugin;
  upstream: UpstreamObserver;
  /** Ends the provider: spans still batched are exported first. */
  shutdown(): Promise<void>;
}

// Still "development" in the semantic conventions, so copied here rather than imported from
// `@opentelemetry/semantic-conventions/incubating`, as that package advises.
const ATTR_GRAPHQL_OPERATION_NAME = 'graphql.operation.name';
const ATTR_GRAPHQL_OPERATION_TYPE = 'graphql.operation.type';
const ATTR_URL_TEMPLATE = 'url.template';
/** The conventions' `graphql.document` is the whole text, whose literals may be ids or emails; its hash names it without them. */
const ATTR_GRAPHQL_DOCUMENT_HASH = 'graphql.document.hash';
/** No convention exists; namespaced as OpenTelemetry's naming rules ask of custom attributes. */
const ATTR_REQUEST_ID = 'gateway.request.id';

const TRACER_NAME = 'ep-account-membership-gateway';
/** Until the operation is known, the server span is named as HTTP's conventions name it. */
const SERVER_SPAN_NAMES = new Map(['POST', 'GET'].map((method) => [method, `${method} ${GRAPHQL_PATH}`]));

const EVENT_NAMES: Record<UpstreamEvent, string> = {
  breaker_open: 'upstream.breaker_open',
  queue_full: 'upstream.queue_full',
  queued: 'upstream.queued',
};

/** What a request's or an operation's record keeps in its `trace` slot. */
interface Traced {
  span: Span;
  /** The span as a parent, made once rather than for each child. */
  context: Context;
}

const propagator = new W3CTraceContextPropagator();
const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/**
 * Tracing when OTLP has an endpoint (or a test gives an exporter); otherwise `undefined`, and
 * nothing is installed at all.
 */
export function createTracing(config: Config, exporter?: SpanExporter): Tracing | undefined {
  const endpoint = config.otlpTracesEndpoint;
  if (!exporter && endpoint === undefined) return undefined;
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.otelServiceName })),
    // A test reads its spans as soon as the response arrives; a real collector gets them in
    // batches, off the request path.
    spanProcessors: [exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }))],
  });
  const tracer = provider.getTracer(TRACER_NAME);
  return {
    plugin: tracingPlugin(tracer),
    upstream: upstreamTracer(tracer, config),
    async shutdown() {
      // A collector that is down must not fail the gateway's shutdown; those spans are lost either way.
      await provider.shutdown().catch(() => undefined);
    },
  };
}

function tracingPlugin(tracer: Tracer): Plugin {
  const parentOf = (context: object): Context | undefined => {
    const { request } = context as { request?: Request };
    return (request && (recordOf(request)?.trace as Traced | undefined))?.context;
  };

  return {
    onRequest({ request, url }) {
      const record = recordOf(request);
      if (!record || url.pathname !== GRAPHQL_PATH) return;
      const span = tracer.startSpan(
        SERVER_SPAN_NAMES.get(request.method) ?? `${request.method} ${GRAPHQL_PATH}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            [ATTR_HTTP_REQUEST_METHOD]: request.method,
            [ATTR_URL_PATH]: GRAPHQL_PATH,
            [ATTR_HTTP_ROUTE]: GRAPHQL_PATH,
            [ATTR_REQUEST_ID]: record.id,
          },
        },
        propagator.extract(ROOT_CONTEXT, request.headers, headerGetter),
      );
      record.trace = { span, context: trace.setSpan(ROOT_CONTEXT, span) } satisfies Traced;
    },
    onParse({ context }) {
      const parent = parentOf(context);
      if (!parent) return undefined;
      const span = tracer.startSpan('graphql.parse', undefined, parent);
      return ({ result }) => {
        if (result instanceof Error) markError(span, [codeOr(result, 'GRAPHQL_PARSE_FAILED')]);
        span.end();
      };
    },
    onValidate({ context }) {
      const parent = parentOf(context);
      if (!parent) return undefined;
      const span = tracer.startSpan('graphql.validate', undefined, parent);
      return ({ valid, result }) => {
        if (!valid)
          markError(
            span,
            result.map((error) => codeOr(error, 'GRAPHQL_VALIDATION_FAILED')),
          );
        span.end();
      };
    },
    onExecute({ args }) {
      const parent = parentOf(args.contextValue as object);
      const operation = operationOf(args.contextValue as object);
      if (!parent || !operation) return undefined;
      // The records plugin, installed before this one, has named and typed the operation by now.
      const span = tracer.startSpan('graphql.execute', { attributes: operationAttributes(operation) }, parent);
      operation.trace = { span, context: trace.setSpan(ROOT_CONTEXT, span) } satisfies Traced;
      return {
        onExecuteDone({ result }) {
          const errors = (result as { errors?: readonly GraphQLError[] }).errors;
          if (errors && errors.length > 0) markError(span, errors.map(codeOf));
          span.end();
        },
      };
    },
    onResponse({ request, response }) {
      const record = recordOf(request);
      const traced = record?.trace as Traced | undefined;
      if (!record || !traced) return;
      const { span } = traced;
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
      // Named after its operation, as the GraphQL conventions name a server span; a batch keeps the HTTP name.
      const [only] = record.operations;
      if (only && record.operations.length === 1 && only.type) {
        span.setAttributes(operationAttributes(only));
        span.updateName(only.name === undefined ? only.type : `${only.type} ${operationLabel(only.name)}`);
      }
      let codes = record.requestCodes;
      for (const operation of record.operations) {
        if (operation.codes.length > 0) codes = codes.concat(operation.codes);
        // An execution that threw never reached onExecuteDone; its span still ends with the request.
        const execute = (operation.trace as Traced | undefined)?.span;
        if (execute?.isRecording()) {
          markError(execute, ['INTERNAL_SERVER_ERROR']);
          execute.end();
        }
      }
      if (codes.length > 0) markError(span, codes);
      else if (response.status >= 500) markError(span, [String(response.status)]);
      span.end();
    },
  };
}

function operationAttributes(operation: OperationRecord): Attributes {
  const attributes: Attributes = { [ATTR_GRAPHQL_DOCUMENT_HASH]: operation.documentHash };
  if (operation.type) attributes[ATTR_GRAPHQL_OPERATION_TYPE] = operation.type;
  // Callers choose names; anything that is not a GraphQL name shows as `invalid`.
  if (operation.name !== undefined) attributes[ATTR_GRAPHQL_OPERATION_NAME] = operationLabel(operation.name);
  return attributes;
}

/** Yoga gives parse and validation errors their codes in hooks that run after this plugin's. */
function codeOr(error: Error, fallback: string): string {
  const code = (error as GraphQLError).extensions?.code;
  return typeof code === 'string' ? code : fallback;
}

/** ERROR, with the first code as `error.type` and all of them, once each, as the description. */
function markError(span: Span, codes: readonly string[]): void {
  const [first = 'INTERNAL_SERVER_ERROR'] = codes;
  span.setAttribute(ATTR_ERROR_TYPE, first);
  span.setStatus({ code: SpanStatusCode.ERROR, message: codes.length === 1 ? first : [...new Set(codes)].join(', ') });
}

function upstreamTracer(tracer: Tracer, config: Pick<Config, 'epApiBaseUrl' | 'epApiPropagateTrace'>): UpstreamObserver {
  const base = new URL(config.epApiBaseUrl);
  const address = base.hostname;
  const port = base.port ? Number(base.port) : base.protocol === 'https:' ? 443 : 80;
  const propagate = config.epApiPropagateTrace;

  return {
    attempt(request, resendCount, headers) {
      const attributes: Attributes = {
        [ATTR_HTTP_REQUEST_METHOD]: request.method,
        [ATTR_URL_TEMPLATE]: request.route,
        [ATTR_SERVER_ADDRESS]: address,
        [ATTR_SERVER_PORT]: port,
      };
      if (resendCount > 0) attributes[ATTR_HTTP_REQUEST_RESEND_COUNT] = resendCount;
      // `url.full` is left out on purpose: the path holds ids.
      const span = tracer.startSpan(
        `${request.method} ${request.route}`,
        { kind: SpanKind.CLIENT, attributes },
        operationTrace(request)?.context ?? ROOT_CONTEXT,
      );
      // Only `traceparent`: `tracestate` is free-form text from the caller, and no caller header
      // but the credentials travels upstream.
      if (propagate) headers.traceparent = traceparent(span.spanContext());
      return (status, failure) => {
        if (status !== undefined) {
          span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
          if (status >= 400) markError(span, [String(status)]);
        } else {
          markError(span, [failure ?? 'unknown']);
        }
        span.end();
      };
    },
    event(request, name) {
      operationTrace(request)?.span.addEvent(EVENT_NAMES[name], {
        [ATTR_HTTP_REQUEST_METHOD]: request.method,
        [ATTR_URL_TEMPLATE]: request.route,
      });
    },
  };
}

const operationTrace = (request: UpstreamRequest): Traced | undefined => request.meter?.trace as Traced | undefined;

function traceparent({ traceId, spanId, traceFlags }: SpanContext): string {
  return `00-${traceId}-${spanId}-${traceFlags & TraceFlags.SAMPLED ? '01' : '00'}`;
}
