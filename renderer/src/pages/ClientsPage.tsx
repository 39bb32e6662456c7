import { Alert, Badge, Button, Card, Code, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import type { ClientId, ClientState, ClientStatus } from '../../../electron/shared/contract';
import { api, errorText } from '../api';
import { useAction } from '../components/useAction';
import { DisconnectAll } from '../components/DisconnectAll';

const STATE: Record<ClientState, { color: string; label: string }> = {
  configured: { color: 'green', label: 'Connected' },
  'out-of-date': { color: 'yellow', label: 'Needs an update' },
  'not-configured': { color: 'gray', label: 'Not connected' },
  'not-installed': { color: 'gray', label: 'Not found' },
  unreadable: { color: 'red', label: 'Settings file unreadable' },
};

function ClientCard({ client, onResult }: { client: ClientStatus; onResult: (message: string, ok: boolean) => void }) {
  const { run, busy } = useAction();
  const look = STATE[client.state];
  // Success or failure, the outcome goes to the page's one notice, not into the card.
  const act = (work: () => Promise<{ message: string }>) =>
    run(() =>
      work().then(
        (result) => onResult(result.message, true),
        (error: unknown) => onResult(errorText(error), false),
      ),
    );
  const connect = (id: ClientId) => act(() => api.clients.connect(id));
  return (
    <Card withBorder padding="lg" data-testid={`client-${client.id}`} aria-label={client.name} component="section">
      <Group justify="space-between" mb="xs">
        <Title order={3} size="h4">
          {client.name}
        </Title>
        <Badge color={look.color} variant="light">
          {look.label}
        </Badge>
      </Group>
      <Text size="xs" c="dimmed">
        Settings file
      </Text>
      {/* Focusable: a long path scrolls sideways, with the keyboard too. */}
      <Code block mb="xs" tabIndex={0} aria-label={`${client.name} settings file: ${client.configPath}`}>
        {client.configPath}
      </Code>
      {client.detail && (
        <Text size="sm" c={client.state === 'unreadable' ? 'red' : 'dimmed'} mb="xs">
          {client.detail}
        </Text>
      )}
      {!client.installed && (
        <Text size="sm" c="dimmed" mb="xs">
          Not found on this computer. You can still connect it: the settings file is created for when you install it.
        </Text>
      )}
      <Group mt="auto">
        {client.state !== 'configured' && (
          <Button
            loading={busy}
            disabled={client.state === 'unreadable'}
            onClick={() => connect(client.id)}
            aria-label={`${client.state === 'out-of-date' ? 'Update' : 'Connect'} ${client.name}`}
          >
            {client.state === 'out-of-date' ? 'Update' : 'Connect'}
          </Button>
        )}
        {client.state === 'configured' && (
          <Button variant="default" loading={busy} onClick={() => connect(client.id)} aria-label={`Set up ${client.name} again`}>
            Set up again
          </Button>
        )}
        {client.canUndo && (
          <Button
            variant="subtle"
            color="red"
            loading={busy}
            onClick={() => act(() => api.clients.undo(client.id))}
            aria-label={`Undo our change to ${client.name}`}
          >
            Undo our change
          </Button>
        )}
      </Group>
    </Card>
  );
}

/** Which AI apps use RabbitMQ MCP, and one click to connect or disconnect each. */
export function ClientsPage() {
  const [clients, setClients] = useState<ClientStatus[]>([]);
  const [notice, setNotice] = useState<{ message: string; ok: boolean } | null>(null);
  const load = useCallback(() => api.clients.list().then(setClients, (error) => setNotice({ message: errorText(error), ok: false })), []);
  useEffect(() => void load(), [load]);

  return (
    <Stack>
      <Title order={2}>AI clients</Title>
      <Text c="dimmed">
        Connecting adds one entry, <Code>rabbitmq</Code>, to the app&apos;s MCP settings and keeps a backup of the file. Switching brokers
        later needs no change here: connected clients follow the active profile.
      </Text>
      {notice && (
        <Alert
          color={notice.ok ? 'green' : 'red'}
          withCloseButton
          closeButtonLabel="Dismiss"
          onClose={() => setNotice(null)}
          role="status"
          data-testid="client-notice"
        >
          {notice.message}
        </Alert>
      )}
      <DisconnectAll onDone={() => void load()} />
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {clients.map((client) => (
          <ClientCard
            key={client.id}
            client={client}
            onResult={(message, ok) => {
              setNotice({ message, ok });
              void load();
            }}
          />
        ))}
      </SimpleGrid>
    </Stack>
  );
}
