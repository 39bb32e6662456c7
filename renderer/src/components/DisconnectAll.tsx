import { Alert, Button, Group, List, Modal, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import type { DisconnectResult } from '../../../electron/shared/contract';
import { api, errorText } from '../api';

const OUTCOME: Record<DisconnectResult['outcome'], string> = {
  removed: 'Disconnected',
  'not-connected': 'Was not connected',
  failed: 'Failed',
};

/**
 * "Disconnect all AI apps": asks first, then takes our entry out of every AI app's settings (each
 * file backed up, everything else in it kept) and says what happened to each.
 */
export function DisconnectAll({ onDone }: { onDone?: () => void }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [results, setResults] = useState<DisconnectResult[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const disconnect = async () => {
    setBusy(true);
    setProblem(null);
    try {
      setResults(await api.clients.disconnectAll());
      setAsking(false);
      onDone?.();
    } catch (error) {
      setProblem(errorText(error));
    } finally {
      setBusy(false);
    }
  };

  const failed = results?.some((result) => result.outcome === 'failed');
  return (
    <Stack gap="sm">
      <Group>
        <Button variant="default" onClick={() => setAsking(true)}>
          Disconnect all AI apps…
        </Button>
      </Group>
      <Modal
        opened={asking}
        onClose={() => setAsking(false)}
        title="Disconnect all AI apps?"
        centered
        closeButtonProps={{ 'aria-label': 'Close without disconnecting' }}
      >
        <Stack>
          <Text size="sm">
            This takes the RabbitMQ MCP entry out of the settings of every AI app that has it (Claude Desktop, Claude Code, Cursor, VS Code,
            Windsurf). Their other servers and settings stay as they are, and each file is backed up first. Restart an AI app to see the
            change.
          </Text>
          {problem && (
            <Alert color="red" role="alert">
              {problem}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setAsking(false)}>
              Cancel
            </Button>
            <Button color="red.9" loading={busy} onClick={() => void disconnect()} data-autofocus>
              Disconnect all
            </Button>
          </Group>
        </Stack>
      </Modal>
      {results && (
        <Alert
          color={failed ? 'red' : 'green'}
          withCloseButton
          closeButtonLabel="Dismiss"
          onClose={() => setResults(null)}
          role="status"
          title={failed ? 'Some AI apps could not be disconnected' : 'All AI apps are disconnected'}
          data-testid="disconnect-all-result"
        >
          <List size="sm" spacing={4}>
            {results.map((result) => (
              <List.Item key={result.id}>
                <strong>{OUTCOME[result.outcome]}:</strong> {result.message}
              </List.Item>
            ))}
          </List>
        </Alert>
      )}
    </Stack>
  );
}
