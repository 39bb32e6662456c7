import { Alert, Button, Code, Group, List, Modal, PasswordInput, Stack, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import type { BrokerUserPlan, ProfileView } from '../../../electron/shared/contract';
import { api } from '../api';
import { useAction } from './useAction';

function Lines({ title, lines }: { title: string; lines: string[] }) {
  if (lines.length === 0) return null;
  return (
    <div>
      <Text size="sm" fw={600}>
        {title}
      </Text>
      <List size="sm" spacing={4}>
        {lines.map((line) => (
          <List.Item key={line}>{line}</List.Item>
        ))}
      </List>
    </div>
  );
}

function PlanView({ plan }: { plan: BrokerUserPlan }) {
  return (
    <Stack gap="sm" data-testid="broker-user-plan">
      <Text size="sm">
        User <b>{plan.user}</b> ({plan.exists ? 'exists: it will be narrowed to this' : 'new'}), tags {plan.tags.join(', ')}.
      </Text>
      <Table withTableBorder fz="xs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Vhost</Table.Th>
            <Table.Th>Configure</Table.Th>
            <Table.Th>Write</Table.Th>
            <Table.Th>Read</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {plan.permissions.map((entry) => (
            <Table.Tr key={entry.vhost}>
              <Table.Td>{entry.vhost}</Table.Td>
              <Table.Td>
                <Code>{entry.configure}</Code>
              </Table.Td>
              <Table.Td>
                <Code>{entry.write}</Code>
              </Table.Td>
              <Table.Td>
                <Code>{entry.read}</Code>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {plan.exists && <Lines title="What changes" lines={plan.changes} />}
      <Lines title="The broker will refuse it" lines={plan.brokerEnforces} />
      <Lines title="Only the server will keep it from" lines={plan.serverOnly} />
      <Lines title="Good to know" lines={plan.notes} />
    </Stack>
  );
}

/**
 * Makes a scoped profile's least-privilege broker user from an administrator's login: a preview
 * first (what it gets, what the broker then refuses), then the user is made and the profile runs
 * as it. The login is used for this and kept nowhere; the new password goes to the profile.
 */
export function BrokerUserDialog({ profile, onClose }: { profile: ProfileView | null; onClose: (done?: string) => void }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [plan, setPlan] = useState<BrokerUserPlan | null>(null);
  const { run, busy, problem } = useAction();
  const login = () => ({ user, password });
  const close = (done?: string) => {
    setPassword('');
    setPlan(null);
    onClose(done);
  };

  return (
    <Modal
      opened={profile !== null}
      onClose={() => close()}
      title="Create a broker user for this scope"
      size="xl"
      closeButtonProps={{ 'aria-label': 'Close without making a user' }}
    >
      {profile && (
        <Stack>
          <Text size="sm">
            {profile.name} lets the assistant reach only part of the broker. A broker user that holds only what that part needs makes
            RabbitMQ itself refuse the rest, whatever gets past the app. An administrator&apos;s login makes it once; the login is not
            saved.
          </Text>
          <Group grow align="flex-start">
            <TextInput
              label="Administrator user"
              value={user}
              onChange={(event) => {
                setUser(event.currentTarget.value);
                setPlan(null);
              }}
            />
            <PasswordInput
              label="Administrator password"
              value={password}
              onChange={(event) => {
                setPassword(event.currentTarget.value);
                setPlan(null);
              }}
            />
          </Group>
          <div role="status" aria-live="polite">
            {plan && <PlanView plan={plan} />}
          </div>
          {problem && (
            <Alert color="red" title="The user was not made">
              {problem}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => close()}>
              Cancel
            </Button>
            {plan ? (
              <Button
                loading={busy}
                onClick={() =>
                  run(async () => {
                    const updated = await api.profiles.createBrokerUser(profile.id, login());
                    close(`${updated.name} now runs as broker user ${updated.user}, which holds only what its scope needs.`);
                  })
                }
              >
                {plan.exists ? 'Narrow the user and use it' : 'Create the user and use it'}
              </Button>
            ) : (
              <Button
                loading={busy}
                disabled={user.trim() === ''}
                onClick={() => run(async () => setPlan(await api.profiles.planBrokerUser(profile.id, login())))}
              >
                Preview
              </Button>
            )}
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
