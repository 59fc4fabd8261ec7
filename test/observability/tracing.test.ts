/**
 * Traces, against real servers on loopback: the span tree of an operation (server → parse,
 * validate, execute → one client span per attempt), the caller's `traceparent` continued, the
 * `traceparent` sent on to Elastic Path only when asked, errors and refusals marked, nothing
 * secret in any span, and real OTLP/HTTP export flushed by `close()`.
 */
import { randomUUID } from 'node:crypto';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { AccountMemberDocument, FiveMembersDocument } from '../gql/graphql.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { MEMBER_ID, TOKEN } from '../support/ids.js';
import { epError, memberBody } from '../support/bodies.js';
import { startOtlpCollector, stringAttribute, type OtlpCollector, type OtlpSpan } from '../support/otlp-collector.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream.js';

const MEMBER_ROUTE = '/v2/account-members/{accountMemberId}';
const EMAIL = memberBody().data.email;
const CALLER_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';

let upstream: ScriptedUpstream | undefined;
let gateway: TestGateway | undefined;
let collector: OtlpCollector | undefined;
let exporter: InMemorySpanExporter;

async function start(env: Record<string, string> = {}, traced = true) {
  upstream = await startScriptedUpstream();
  exporter = new InMemorySpanExporter();
  gateway = await startGateway({
    upstreamUrl: upstream.url,
    env: { EP_API_RETRY_BASE_MS: '1', ...env },
    ...(traced && { spanExporter: exporter }),
  });
  return { upstream, gateway };
}

afterEach(async () => {
  await gateway?.close();
  upstream?.verify();
  await upstream?.close();
  await collector?.close();
  gateway = upstream = collector = undefined;
});

const readMember = (headers: Record<string, string> = {}) =>
  gateway!.execute(AccountMemberDocument, { id: MEMBER_ID }, { authorization: TOKEN, ...headers });

/** Spans are exported as each ends, and the server span ends before the response is sent. */
function spans() {
  const all = exporter.getFinishedSpans();
  const named = (name: string) => all.filter((span) => span.name === name);
  const one = (name: string) => {
    const found = named(name);
    expect(found.map((span) => span.name)).toEqual([name]);
    return found[0]!;
  };
  return {
    all,
    named,
    one,
    server: () => {
      const found = all.filter((span) => span.kind === SpanKind.SERVER);
      expect(found).toHaveLength(1);
      return found[0]!;
    },
    clients: () => all.filter((span) => span.kind === SpanKind.CLIENT),
  };
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

/** What an exporter would send of a span: names, attributes, events, status. */
const exported = (all: ReadableSpan[]) =>
  JSON.stringify(all.map(({ name, attributes, events, status, links }) => ({ name, attributes, events, status, links })));

function expectNothingSecret(text: string) {
  expect(text).not.toContain(TOKEN.replace('Bearer ', ''));
  expect(text).not.toContain(MEMBER_ID);
  expect(text).not.toContain(EMAIL);
}

describe('the span tree', () => {
  it('puts parse, validate and execute under a server span, and each upstream attempt under execute', async () => {
    const { upstream } = await start();
    upstream.reply({ status: 200, json: memberBody() });
    const result = await readMember({ 'x-request-id': 'trace-test-1' });
    expect(result.data?.accountMember?.name).toBe('Ron Swanson');

    const { all, one, server, clients } = spans();
    expect(all.map((span) => span.name).sort()).toEqual(
      ['query AccountMember', 'graphql.parse', 'graphql.validate', 'graphql.execute', `GET ${MEMBER_ROUTE}`].sort(),
    );
    const root = server();
    expect(root.name).toBe('query AccountMember');
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.attributes).toMatchObject({
      'http.request.method': 'POST',
      'url.path': '/graphql',
      'http.route': '/graphql',
      'http.response.status_code': 200,
      'gateway.request.id': 'trace-test-1',
      'graphql.operation.name': 'AccountMember',
      'graphql.operation.type': 'query',
    });
    expect(root.attributes['graphql.document.hash']).toMatch(/^[0-9a-f]{64}$/);
    expect(root.status.code).toBe(SpanStatusCode.UNSET);

    for (const name of ['graphql.parse', 'graphql.validate', 'graphql.execute']) {
      expect(parentOf(one(name))).toBe(idOf(root));
    }
    const execute = one('graphql.execute');
    expect(execute.attributes).toMatchObject({
      'graphql.operation.name': 'AccountMember',
      'graphql.operation.type': 'query',
      'graphql.document.hash': root.attributes['graphql.document.hash'],
    });

    const [client, ...others] = clients();
    expect(others).toHaveLength(0);
    expect(client!.name).toBe(`GET ${MEMBER_ROUTE}`);
    expect(parentOf(client!)).toBe(idOf(execute));
    expect(client!.attributes).toEqual({
      'http.request.method': 'GET',
      'url.template': MEMBER_ROUTE,
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(upstream.url).port),
      'http.response.status_code': 200,
    });
    expect(new Set(all.map((span) => span.spanContext().traceId)).size).toBe(1);
    expect(all.every((span) => span.resource.attributes['service.name'] === 'ep-account-membership-gateway')).toBe(true);

    // Both sides: by default Elastic Path sees no trace header at all.
    expect(upstream.received).toHaveLength(1);
    expect(upstream.received[0]!.headers.traceparent).toBeUndefined();
    expect(upstream.received[0]!.headers.tracestate).toBeUndefined();
    expectNothingSecret(exported(all));
  });

  it('shows a retried read as two client spans, the second with http.request.resend_count 1', async () => {
    const { upstream } = await start();
    upstream.reply({ status: 503, json: epError('503', 'Service Unavailable') }, { status: 200, json: memberBody() });
    const result = await readMember();
    expect(result.errors).toBeUndefined();
    expect(upstream.received).toHaveLength(2);

    const { one, clients } = spans();
    const execute = one('graphql.execute');
    const [first, second, ...others] = clients();
    expect(others).toHaveLength(0);
    for (const client of [first!, second!]) {
      expect(client.name).toBe(`GET ${MEMBER_ROUTE}`);
      expect(parentOf(client)).toBe(idOf(execute));
    }
    expect(first!.attributes['http.response.status_code']).toBe(503);
    expect(first!.attributes['error.type']).toBe('503');
    expect(first!.attributes['http.request.resend_count']).toBeUndefined();
    expect(first!.status.code).toBe(SpanStatusCode.ERROR);
    expect(second!.attributes['http.response.status_code']).toBe(200);
    expect(second!.attributes['http.request.resend_count']).toBe(1);
    expect(second!.status.code).toBe(SpanStatusCode.UNSET);
    // The retry succeeded, so the operation did not fail.
    expect(execute.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('traces GraphQL requests, and not health, readiness or metrics', async () => {
    const { gateway } = await start();
    for (const path of ['/health', '/readiness', '/metrics']) {
      const response = await fetch(`${gateway.url}${path}`);
      await response.arrayBuffer();
      expect(response.status).toBe(200);
    }
    expect(exporter.getFinishedSpans()).toEqual([]);
    await gateway.post({ query: '{ __typename }' });
    expect(spans().server().name).toBe('query');
  });
});

describe('trace context', () => {
  it("continues the caller's traceparent: same trace id, the caller's span as parent", async () => {
    const { upstream } = await start();
    upstream.reply({ status: 200, json: memberBody() });
    await readMember({ traceparent: `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01` });

    const { all, server } = spans();
    const root = server();
    expect(root.parentSpanContext).toMatchObject({ traceId: CALLER_TRACE_ID, spanId: CALLER_SPAN_ID, isRemote: true });
    expect(all).toHaveLength(5);
    expect(all.every((span) => span.spanContext().traceId === CALLER_TRACE_ID)).toBe(true);
  });

  it('starts a new trace when the traceparent is malformed', async () => {
    const { upstream } = await start();
    upstream.reply({ status: 200, json: memberBody() });
    await readMember({ traceparent: `00-${CALLER_TRACE_ID}-not-a-span-01` });
    const root = spans().server();
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.spanContext().traceId).not.toBe(CALLER_TRACE_ID);
  });

  it('sends traceparent on to Elastic Path with EP_API_PROPAGATE_TRACE, naming the client span, and never tracestate', async () => {
    const { upstream } = await start({ EP_API_PROPAGATE_TRACE: 'true' });
    upstream.reply({ status: 200, json: memberBody() });
    await readMember({ traceparent: `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01`, tracestate: 'vendor=caller-data' });

    const [client] = spans().clients();
    const { traceId, spanId } = client!.spanContext();
    expect(traceId).toBe(CALLER_TRACE_ID);
    expect(upstream.received[0]!.headers.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    expect(upstream.received[0]!.headers.tracestate).toBeUndefined();
  });

  it('gives each attempt its own traceparent', async () => {
    const { upstream } = await start({ EP_API_PROPAGATE_TRACE: 'true' });
    upstream.reply({ status: 503, json: epError('503', 'Service Unavailable') }, { status: 200, json: memberBody() });
    await readMember();
    const sent = upstream.received.map((request) => request.headers.traceparent);
    const expected = spans()
      .clients()
      .map((span) => `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
    expect(sent).toEqual(expected);
    expect(new Set(sent).size).toBe(2);
  });
});

describe('errors and refusals', () => {
  it('marks the execute and server spans ERROR with the error codes when an operation fails', async () => {
    const { upstream } = await start({ EP_API_MAX_ATTEMPTS: '1' });
    upstream.reply({ status: 503, json: epError('503', 'Service Unavailable') });
    const result = await readMember();
    expect(result.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');

    const { one, server, clients } = spans();
    for (const span of [one('graphql.execute'), server()]) {
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'UPSTREAM_UNAVAILABLE' });
      expect(span.attributes['error.type']).toBe('UPSTREAM_UNAVAILABLE');
    }
    expect(clients()[0]!.attributes['error.type']).toBe('503');
  });

  it('marks the parse span ERROR for a syntax error, and executes nothing', async () => {
    const { gateway } = await start();
    const result = await gateway.post({ query: '{ accountMember(id: ' }, { authorization: TOKEN });
    const { one, named, server } = spans();
    expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(one('graphql.parse').status).toEqual({ code: SpanStatusCode.ERROR, message: 'GRAPHQL_PARSE_FAILED' });
    expect(named('graphql.execute')).toEqual([]);
    expect(server().status.code).toBe(SpanStatusCode.ERROR);
    expect(server().attributes['http.response.status_code']).toBe(result.status);
  });

  it('marks the validate span ERROR for an invalid operation', async () => {
    const { gateway } = await start();
    const result = await gateway.post({ query: 'query Broken { noSuchField }' }, { authorization: TOKEN });
    const code = result.errors?.[0]?.extensions?.code;
    expect(code).toBe('GRAPHQL_VALIDATION_FAILED');
    const { one, named, server } = spans();
    const validate = one('graphql.validate');
    expect(validate.status).toEqual({ code: SpanStatusCode.ERROR, message: code });
    expect(named('graphql.execute')).toEqual([]);
    expect(server().name).toBe('query Broken');
  });

  it('records calls the limiter turned away as events on the execute span', async () => {
    const { upstream } = await start({ EP_API_CONNECTIONS: '1', EP_API_QUEUE_LIMIT: '0' });
    upstream.reply({ status: 200, json: memberBody(), delayMs: 50 });
    const ids = [MEMBER_ID, randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const result = await gateway!.execute(
      FiveMembersDocument,
      { a: ids[0]!, b: ids[1]!, c: ids[2]!, d: ids[3]!, e: ids[4]! },
      { authorization: TOKEN },
    );
    expect(result.errors?.map((error) => error.extensions?.code)).toEqual(Array(4).fill('RATE_LIMITED'));
    expect(upstream.received).toHaveLength(1);

    const { one, clients } = spans();
    const execute = one('graphql.execute');
    expect(execute.events.map((event) => event.name)).toEqual(Array(4).fill('upstream.queue_full'));
    expect(execute.events[0]!.attributes).toEqual({ 'http.request.method': 'GET', 'url.template': MEMBER_ROUTE });
    expect(clients()).toHaveLength(1);
    expectNothingSecret(exported(spans().all));
  });

  it('records a call that waited for a connection slot as an upstream.queued event', async () => {
    const { upstream } = await start({ EP_API_CONNECTIONS: '1' });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    upstream.reply({ status: 200, json: memberBody(), until: held }, { status: 200, json: memberBody() });
    const first = readMember();
    await upstream.whenReceived(1);
    exporter.reset();
    const second = readMember();
    while (gateway!.gateway.upstream.stats().queued === 0) await new Promise((resolve) => setImmediate(resolve));
    release();
    await first;
    expect((await second).data?.accountMember?.name).toBe('Ron Swanson');

    const executes = spans().named('graphql.execute');
    const events = executes.flatMap((span) => span.events.map((event) => [event.name, event.attributes]));
    expect(events).toEqual([['upstream.queued', { 'http.request.method': 'GET', 'url.template': MEMBER_ROUTE }]]);
  });

  it("names the server span of a batch POST /graphql, with each operation's spans under it", async () => {
    const { upstream } = await start();
    upstream.always({ status: 200, json: memberBody() });
    const response = await fetch(`${gateway!.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: TOKEN },
      body: JSON.stringify([
        { query: `query First { accountMember(id: "${MEMBER_ID}") { name } }` },
        { query: `query Second { accountMember(id: "${MEMBER_ID}") { name } }` },
      ]),
    });
    expect(response.status).toBe(200);
    await response.text();
    const { server, named } = spans();
    expect(server().name).toBe('POST /graphql');
    expect(named('graphql.execute').map(parentOf)).toEqual([idOf(server()), idOf(server())]);
  });

  it('records a call the open breaker refused as an event, with no client span', async () => {
    const { upstream } = await start({ EP_API_MAX_ATTEMPTS: '1', EP_API_BREAKER_MIN_CALLS: '1', EP_API_BREAKER_COOLDOWN_MS: '60000' });
    upstream.reply({ status: 503, json: epError('503', 'Service Unavailable') });
    await readMember();
    exporter.reset();
    const result = await readMember();
    expect(result.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(upstream.received).toHaveLength(1);

    const { one, clients } = spans();
    expect(one('graphql.execute').events.map((event) => event.name)).toEqual(['upstream.breaker_open']);
    expect(clients()).toEqual([]);
  });
});

describe('when tracing is off', () => {
  it('installs nothing and sends no traceparent, even with EP_API_PROPAGATE_TRACE', async () => {
    const { upstream, gateway } = await start({ EP_API_PROPAGATE_TRACE: 'true' }, false);
    expect(gateway.gateway.tracing).toBeUndefined();
    upstream.reply({ status: 200, json: memberBody() });
    await readMember({ traceparent: `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01` });
    expect(upstream.received[0]!.headers.traceparent).toBeUndefined();
  });
});

describe('OTLP/HTTP export', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of ['OTEL_TRACES_SAMPLER', 'OTEL_EXPORTER_OTLP_HEADERS']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  /** A traced read through a gateway exporting to a fresh collector, flushed by closing it. */
  async function exportOneRead(env: Record<string, string>) {
    const { upstream, gateway } = await start(env, false);
    upstream.reply({ status: 200, json: memberBody() });
    expect((await readMember()).data?.accountMember?.name).toBe('Ron Swanson');
    await gateway.close();
    expect(collector!.refused).toEqual([]);
    return collector!;
  }

  it('sends the spans to OTEL_EXPORTER_OTLP_ENDPOINT plus /v1/traces', async () => {
    collector = await startOtlpCollector();
    const exports = await exportOneRead({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.tracesUrl.replace(/\/v1\/traces$/, '') });
    const names = exports.exports.flatMap((body) =>
      body.resourceSpans.flatMap(({ scopeSpans }) => scopeSpans.flatMap(({ spans }) => spans.map((span) => span.name))),
    );
    expect(names).toContain('query AccountMember');
  });

  it('sends OTEL_EXPORTER_OTLP_HEADERS with every export (collector credentials)', async () => {
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-collector-key=secret-key-1,x-tenant=gateways';
    collector = await startOtlpCollector();
    const exports = await exportOneRead({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collector.tracesUrl });
    expect(exports.exportHeaders.length).toBeGreaterThan(0);
    for (const headers of exports.exportHeaders)
      expect(headers).toMatchObject({ 'x-collector-key': 'secret-key-1', 'x-tenant': 'gateways' });
  });

  it('samples as OTEL_TRACES_SAMPLER says: always_off exports no span, and still answers', async () => {
    process.env.OTEL_TRACES_SAMPLER = 'always_off';
    collector = await startOtlpCollector();
    const exports = await exportOneRead({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collector.tracesUrl });
    const spanCount = exports.exports.flatMap((body) =>
      body.resourceSpans.flatMap(({ scopeSpans }) => scopeSpans.flatMap(({ spans }) => spans)),
    ).length;
    expect(spanCount).toBe(0);
  });

  it('sends the spans, with the service name, to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT when the gateway closes', async () => {
    collector = await startOtlpCollector();
    const { upstream, gateway } = await start(
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collector.tracesUrl, OTEL_SERVICE_NAME: 'gateway-under-test' },
      false,
    );
    expect(gateway.gateway.tracing).toBeDefined();
    upstream.reply({ status: 200, json: memberBody() });
    const result = await readMember();
    expect(result.data?.accountMember?.name).toBe('Ron Swanson');
    // Batched off the request path: nothing has gone yet (the batch waits 5 s), until close flushes.
    expect(collector.exports).toEqual([]);

    await gateway.close();
    expect(collector.refused).toEqual([]);
    expect(collector.exports.length).toBeGreaterThan(0);
    const resourceSpans = collector.exports.flatMap((body) => body.resourceSpans);
    for (const { resource } of resourceSpans) {
      expect(stringAttribute(resource?.attributes, 'service.name')).toBe('gateway-under-test');
    }
    const exportedSpans: OtlpSpan[] = resourceSpans.flatMap(({ scopeSpans }) => scopeSpans.flatMap(({ spans }) => spans));
    const byName = new Map(exportedSpans.map((span) => [span.name, span]));
    expect([...byName.keys()].sort()).toEqual(
      ['query AccountMember', 'graphql.parse', 'graphql.validate', 'graphql.execute', `GET ${MEMBER_ROUTE}`].sort(),
    );
    expect(byName.get(`GET ${MEMBER_ROUTE}`)!.parentSpanId).toBe(byName.get('graphql.execute')!.spanId);
    expect(byName.get('graphql.execute')!.parentSpanId).toBe(byName.get('query AccountMember')!.spanId);
    expect(stringAttribute(byName.get(`GET ${MEMBER_ROUTE}`)!.attributes, 'url.template')).toBe(MEMBER_ROUTE);
    expectNothingSecret(JSON.stringify(collector.exports));
  });
});
