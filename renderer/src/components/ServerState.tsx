import { Button, Card, Code, Group, Stack, Text } from '@mantine/core';
import type { SupervisorState } from '../../../electron/shared/contract';
import { readableServerLine } from '../../../electron/shared/server-lines';
import { api } from '../api';
import { ServerStatusBadge, serverSummary } from './ServerStatusBadge';
import { useAction } from './useAction';

/** Restarts the server: whether it is under way, and why it failed, for the button that asked. */
export function useServerRestart(): { restart: () => Promise<void>; restarting: boolean; problem: string | null } {
  const { run, busy, problem } = useAction();
  const restart = () => run(() => api.server.restart());
  return { restart, restarting: busy, problem };
}

/**
 * The server's state for people: what is wrong in their terms, what to do, and the button that
 * does it (Edit the profile, or Restart), with a crash's last words as readable lines.
 */
export function ServerState({ server, onEditProfile }: { server: SupervisorState; onEditProfile?: () => void }) {
  const { restart, restarting, problem } = useServerRestart();
  const advice = server.status === 'degraded' ? server.advice : undefined;
  const canEdit = onEditProfile && server.status === 'degraded' && server.action === 'edit-profile';
  const canRestart =
    server.status === 'failed' || server.status === 'crashed' || (server.status === 'degraded' && server.action === 'wait');
  return (
    <Card withBorder padding="lg" data-testid="server-state">
      <Stack gap="xs">
        <Group wrap="nowrap" align="flex-start">
          <ServerStatusBadge server={server} testId="server-state-status" />
          {/* Announced as it changes (the card is there before any change). */}
          <Text data-testid="server-summary" aria-live="polite">
            {serverSummary(server)}
          </Text>
        </Group>
        {advice && (
          <Text size="sm" data-testid="server-advice">
            {advice}
          </Text>
        )}
        {(canEdit || canRestart) && (
          <Group gap="xs">
            {canEdit && (
              <Button size="xs" onClick={onEditProfile}>
                Edit {server.profileName}
              </Button>
            )}
            {canRestart && (
              <Button size="xs" variant="default" loading={restarting} onClick={restart}>
                Restart the server
              </Button>
            )}
          </Group>
        )}
        {problem && (
          <Text size="sm" c="red" role="alert">
            {problem}
          </Text>
        )}
        {(server.status === 'failed' || server.status === 'crashed') && server.lastLines.length > 0 && (
          <>
            <Text size="sm" fw={600}>
              What it said before stopping
            </Text>
            <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }} data-testid="server-last-words">
              {server.lastLines.map(readableServerLine).join('\n')}
            </Code>
          </>
        )}
      </Stack>
    </Card>
  );
}
