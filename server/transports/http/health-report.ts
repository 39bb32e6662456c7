import type { ConnectionProblem } from '../../broker/broker-errors.js';

/**
 * The seed's health answer, as GET /mcp/health returns it (plus, when down, why). Why is a code
 * only (`login_refused`, `refused`…): no names, hosts or messages, since the endpoint answers
 * without authentication. The desktop app turns it into advice on the profile's fields; an
 * operator reads the server's log for the details.
 */
export interface HealthReport {
  status: 'healthy' | 'unhealthy' | 'shutting_down';
  amqp_connected: boolean;
  http_connected: boolean;
  /** Only where MCP_REDIS_URL is set. Not part of status: without Redis only confirmations stop. */
  redis_connected?: boolean;
  amqp_problem?: ConnectionProblem;
  http_problem?: ConnectionProblem;
  timestamp: string;
}
