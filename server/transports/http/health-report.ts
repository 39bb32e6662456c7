/**
 * Why a connection is down, as a stable code: no names, hosts or messages, since the health
 * endpoint answers without authentication. The desktop app turns it into advice on the
 * profile's fields; an operator reads the server's log for the details.
 */
export type HealthProblem = 'login_refused' | 'vhost_denied' | 'forbidden' | 'refused' | 'unresolved' | 'tls' | 'timeout' | 'unreachable';

/** The seed's health answer, as GET /mcp/health returns it (plus, when down, why). */
export interface HealthReport {
  status: 'healthy' | 'unhealthy' | 'shutting_down';
  amqp_connected: boolean;
  http_connected: boolean;
  amqp_problem?: HealthProblem;
  http_problem?: HealthProblem;
  timestamp: string;
}

/** The code of an AMQP connect failure, from the reason the session keeps (describeConnectError's words). */
export function amqpProblem(reason: string | undefined): HealthProblem | undefined {
  if (reason === undefined) return undefined;
  if (/login refused/.test(reason)) return 'login_refused';
  if (/no access to vhost/.test(reason)) return 'vhost_denied';
  if (/connection refused/.test(reason)) return 'refused';
  if (/host name not found|lookup failed/.test(reason)) return 'unresolved';
  if (/TLS|handshake|certificate/.test(reason)) return 'tls';
  if (/timed out/.test(reason)) return 'timeout';
  return 'unreachable';
}
