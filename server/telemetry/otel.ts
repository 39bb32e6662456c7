import { AsyncLocalStorage } from 'node:async_hooks';
import { type Span, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TelemetryConfig } from '../config/load-config.js';
import type { Logger } from '../logging/logger.js';
import { SERVER_NAME, VERSION } from '../version.js';
import type { Telemetry } from './telemetry.js';

function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** OTLP/HTTP (JSON) export of traces and metrics to OTEL_EXPORTER_OTLP_ENDPOINT. */
export function createOtelTelemetry(config: TelemetryConfig, logger: Logger): Telemetry {
  const resource = resourceFromAttributes({ 'service.name': config.serviceName, 'service.version': VERSION });
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${config.endpoint}/v1/traces` }), {
        scheduledDelayMillis: envNumber('OTEL_BSP_SCHEDULE_DELAY', 5000),
      }),
    ],
  });
  const meterProvider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${config.endpoint}/v1/metrics` }),
        exportIntervalMillis: envNumber('OTEL_METRIC_EXPORT_INTERVAL', 60_000),
      }),
    ],
  });
  const tracer = tracerProvider.getTracer(SERVER_NAME, VERSION);
  const meter = meterProvider.getMeter(SERVER_NAME, VERSION);
  const calls = meter.createCounter('mcp.tool.calls', { description: 'Tool calls, by tool and outcome' });
  const errors = meter.createCounter('mcp.tool.errors', { description: 'Tool calls that did not succeed' });
  const latency = meter.createHistogram('mcp.tool.duration', { unit: 'ms', description: 'Tool call duration' });
  const brokerLatency = meter.createHistogram('rabbitmq.request.duration', { unit: 'ms', description: 'Requests to the broker' });
  // The tool call a broker request belongs to, without a global context manager.
  const currentCall = new AsyncLocalStorage<Span>();

  return {
    async toolCall(tool, work) {
      const span = tracer.startSpan(`tools/call ${tool}`, { attributes: { 'mcp.tool.name': tool } });
      const started = performance.now();
      try {
        const result = await currentCall.run(span, work);
        const outcome = result.outcome.split(':')[0] as string;
        span.setAttribute('mcp.tool.outcome', result.outcome);
        if (outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: result.outcome });
        calls.add(1, { tool, outcome });
        if (outcome !== 'ok') errors.add(1, { tool, outcome });
        latency.record(performance.now() - started, { tool, outcome });
        return result;
      } finally {
        span.end();
      }
    },
    async brokerRequest(system, operation, work) {
      const parent = currentCall.getStore();
      const span = tracer.startSpan(
        `${system} ${operation}`,
        { attributes: { 'rabbitmq.system': system, 'rabbitmq.operation': operation } },
        parent ? trace.setSpan(context.active(), parent) : undefined,
      );
      const started = performance.now();
      try {
        return await work();
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        brokerLatency.record(performance.now() - started, { system });
        span.end();
      }
    },
    async shutdown() {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]).catch((error: unknown) => {
        logger.warn({ err: error }, 'OpenTelemetry flush failed');
      });
    },
  };
}
