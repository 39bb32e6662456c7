/** The seed's health answer, as GET /mcp/health returns it. */
export interface HealthReport {
  status: 'healthy' | 'unhealthy' | 'shutting_down';
  amqp_connected: boolean;
  http_connected: boolean;
  timestamp: string;
}
