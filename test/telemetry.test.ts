import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRabbitMqMcp } from '../server/index.js';
import { eventually } from './support/broker-admin.js';
import { brokerEnv } from './support/mcp-harness.js';

/** A minimal OTLP/HTTP collector: keeps every JSON export it receives, by signal. */
let collector: Server;
const received: { traces: unknown[]; metrics: unknown[] } = { traces: [], metrics: [] };

beforeAll(async () => {
  collector = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      if (request.url === '/v1/traces') received.traces.push(JSON.parse(body));
      if (request.url === '/v1/metrics') received.metrics.push(JSON.parse(body));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', () => resolve()));
});

afterAll(() => collector.close());

interface OtlpSpan {
  name: string;
  spanId: string;
  parentSpanId?: string;
  attributes: { key: string; value: { stringValue?: string } }[];
}

function spans(): OtlpSpan[] {
  return received.traces.flatMap((batch) =>
    (batch as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap((r) =>
      r.scopeSpans.flatMap((s) => s.spans),
    ),
  );
}

function metricNames(): string[] {
  return received.metrics.flatMap((batch) =>
    (batch as { resourceMetrics: { scopeMetrics: { metrics: { name: string }[] }[] }[] }).resourceMetrics.flatMap((r) =>
      r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.name)),
    ),
  );
}

describe('OpenTelemetry', () => {
  it('exports a span per tool call with the broker requests under it, and call metrics', async () => {
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    process.env.OTEL_BSP_SCHEDULE_DELAY = '100';
    process.env.OTEL_METRIC_EXPORT_INTERVAL = '200';
    const mcp = await createRabbitMqMcp({
      env: brokerEnv({ LOG_LEVEL: 'silent', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'mcp-under-test' }),
    });
    const server = createServer((request, response) => mcp.handler(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_overview', arguments: {} } }),
      });
      expect(response.status).toBe(200);
      const call = await eventually(async () => spans().find((span) => span.name === 'tools/call get_overview'), 'the tool span');
      expect(call.attributes).toContainEqual({ key: 'mcp.tool.outcome', value: { stringValue: 'ok' } });
      const children = spans().filter((span) => span.parentSpanId === call.spanId);
      expect(children.map((span) => span.name)).toEqual(expect.arrayContaining(['http GET /api/overview', 'http GET /api/nodes']));
      await eventually(async () => (metricNames().includes('mcp.tool.calls') ? true : undefined), 'the call metrics');
      expect(metricNames()).toEqual(expect.arrayContaining(['mcp.tool.calls', 'mcp.tool.duration', 'rabbitmq.request.duration']));
      const service = (
        received.traces[0] as { resourceSpans: { resource: { attributes: { key: string; value: { stringValue: string } }[] } }[] }
      ).resourceSpans[0]?.resource.attributes.find((attribute) => attribute.key === 'service.name');
      expect(service?.value.stringValue).toBe('mcp-under-test');
    } finally {
      delete process.env.OTEL_BSP_SCHEDULE_DELAY;
      delete process.env.OTEL_METRIC_EXPORT_INTERVAL;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await mcp.close();
    }
  });
});
