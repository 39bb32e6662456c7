import { Badge, Button, Card, Group, Progress, Stack, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { UpdateStatus } from '../../../electron/shared/contract';
import { api } from '../api';
import { useAction } from './useAction';

const STATE_LABELS: Record<UpdateStatus['state'], { label: string; color: string }> = {
  idle: { label: 'Not checked yet', color: 'gray' },
  off: { label: 'Updates off', color: 'gray' },
  checking: { label: 'Checking', color: 'blue' },
  'up-to-date': { label: 'Up to date', color: 'green' },
  downloading: { label: 'Downloading', color: 'blue' },
  ready: { label: 'Ready to install', color: 'orange' },
  installing: { label: 'Restarting', color: 'orange' },
  error: { label: 'Problem', color: 'red' },
};

function when(iso: string | null): string {
  if (!iso) return 'not yet';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * The app's own updates, for the Settings page: where they stand (in words, announced as they
 * change), when the app last looked and where, "Check now", and once a newer version is
 * downloaded and its checksum verified, "Restart to update" (the person's yes; nothing restarts
 * without it). `headingLevel` fits it under the hosting page's title.
 */
export function UpdatesPanel({ headingLevel = 3 }: { headingLevel?: 2 | 3 | 4 }) {
  const [status, setStatus] = useState<UpdateStatus | null>(null);
  const check = useAction();
  const install = useAction();

  useEffect(() => {
    let live = true;
    const stop = api.events.on('update-status', (next) => setStatus(next));
    void api.updates.status().then((first) => {
      if (live) setStatus((seen) => seen ?? first);
    });
    return () => {
      live = false;
      stop();
    };
  }, []);

  const state = status ? STATE_LABELS[status.state] : null;
  const busy = status?.state === 'checking' || status?.state === 'downloading' || status?.state === 'installing';
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="updates-title" data-testid="updates-panel">
      <Stack gap="sm">
        <Group justify="space-between" wrap="nowrap">
          <Title order={headingLevel} size="h4" id="updates-title">
            Updates
          </Title>
          {state && (
            <Badge color={state.color} variant="light" data-testid="update-state">
              {state.label}
            </Badge>
          )}
        </Group>
        {/* Announced as it changes (the text is there before any change). */}
        <Text aria-live="polite" data-testid="update-message">
          {status?.message ?? 'Reading the update status…'}
        </Text>
        {status?.state === 'downloading' && (
          <Progress value={status.percent ?? 0} aria-label={`Download of version ${status.version}`} data-testid="update-progress" />
        )}
        {status && (
          <Text size="sm" c="dimmed" data-testid="update-details">
            Version {status.currentVersion} · last checked {when(status.lastCheck)}
            {status.source ? ` · from ${status.source}` : ''}
          </Text>
        )}
        <Group gap="xs">
          <Button
            variant="default"
            loading={check.busy || status?.state === 'checking'}
            disabled={!status || status.state === 'off' || busy || status.state === 'ready'}
            onClick={() => void check.run(() => api.updates.check())}
          >
            Check now
          </Button>
          {status?.state === 'ready' && (
            <Button loading={install.busy} onClick={() => void install.run(() => api.updates.install())}>
              Restart to update
            </Button>
          )}
        </Group>
        {(check.problem ?? install.problem) && (
          <Text size="sm" c="red" role="alert">
            {check.problem ?? install.problem}
          </Text>
        )}
      </Stack>
    </Card>
  );
}
