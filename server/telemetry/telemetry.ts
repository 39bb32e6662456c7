import type { TelemetryConfig } from '../config/load-config.js';
import type { Logger } from '../logging/logger.js';

/** What the server reports to OpenTelemetry; the no-op version costs nothing. */
export interface Telemetry {
  /** A span and call/error/latency metrics for one tool call. */
  toolCall<T extends { outcome: string }>(tool: string, work: () => Promise<T>): Promise<T>;
  /** A child span (and latency metric) for one request to the broker. */
  brokerRequest<T>(system: 'amqp' | 'http', operation: string, work: () => Promise<T>): Promise<T>;
  /** Flushes what is buffered. */
  shutdown(): Promise<void>;
}

export const noTelemetry: Telemetry = {
  toolCall: (_tool, work) => work(),
  brokerRequest: (_system, _operation, work) => work(),
  shutdown: async () => undefined,
};

/**
 * Telemetry for the configuration: nothing unless OTEL_EXPORTER_OTLP_ENDPOINT is set, and the
 * OpenTelemetry SDK is only loaded (a separate bundle chunk) when it is.
 */
export async function startTelemetry(config: TelemetryConfig | null, logger: Logger): Promise<Telemetry> {
  if (!config) return noTelemetry;
  const { createOtelTelemetry } = await import('./otel.js');
  const telemetry = createOtelTelemetry(config, logger);
  logger.info({ endpoint: config.endpoint, service: config.serviceName }, 'OpenTelemetry export on');
  return telemetry;
}
