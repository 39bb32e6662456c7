import { Badge, Tooltip } from '@mantine/core';
import type { SupervisorState } from '../../../electron/shared/contract';
import { lastServerError } from '../../../electron/shared/server-lines';

const LOOK: Record<SupervisorState['status'], { color: string; label: string }> = {
  // "Reachable", not "Connected": the AI clients page says an app is connected to this one.
  healthy: { color: 'green', label: 'Broker reachable' },
  starting: { color: 'yellow', label: 'Starting' },
  degraded: { color: 'yellow', label: 'Broker down' },
  crashed: { color: 'yellow', label: 'Restarting' },
  failed: { color: 'red', label: 'Failed' },
  stopped: { color: 'gray', label: 'Not running' },
};

export function serverSummary(server: SupervisorState): string {
  switch (server.status) {
    case 'healthy':
      return `The server for ${server.profileName} runs and reaches the broker.`;
    case 'starting':
      return `Starting the server for ${server.profileName}…`;
    case 'degraded':
      return `The server for ${server.profileName} runs, but ${server.reason}.`;
    case 'crashed': {
      const why = lastServerError(server.lastLines);
      return `The server for ${server.profileName} stopped (${why ? `${why}; ` : ''}${server.exit}); restarting in ${Math.ceil(server.restartInMs / 1000)} s.`;
    }
    case 'failed':
      return server.message;
    default:
      return 'No server runs: add or activate a broker profile.';
  }
}

export function ServerStatusBadge({ server, testId = 'server-status' }: { server: SupervisorState; testId?: string }) {
  const look = LOOK[server.status];
  return (
    <Tooltip label={serverSummary(server)} withArrow>
      {/* One width for every label, so the broker select beside it stays put when the status changes. */}
      <Badge
        color={look.color}
        variant="dot"
        size="lg"
        w={170}
        style={{ flexShrink: 0 }}
        aria-label={`Server status: ${look.label}`}
        data-testid={testId}
      >
        {look.label}
      </Badge>
    </Tooltip>
  );
}
