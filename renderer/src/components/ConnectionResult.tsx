import { Alert, List, Text, ThemeIcon } from '@mantine/core';
import type { ConnectionCheck } from '../../../electron/shared/contract';

/** Each check in plain words, with the term people meet elsewhere. */
const STEP_LABEL: Record<ConnectionCheck['steps'][number]['name'], string> = {
  AMQP: 'Broker connection (AMQP)',
  'Management API': 'Management web interface (management API)',
  'Virtual host': 'Virtual host',
  Permissions: 'Permissions',
};

export function ConnectionResult({ check }: { check: ConnectionCheck }) {
  return (
    <Alert color={check.ok ? 'green' : 'red'} title={check.ok ? 'Connection works' : 'Connection failed'} data-testid="connection-result">
      <Text size="sm" mb="xs">
        {check.summary}
      </Text>
      <List spacing={6} size="sm">
        {check.steps.map((step) => (
          <List.Item
            key={`${step.name}-${step.detail}`}
            icon={
              <ThemeIcon color={step.ok ? 'green' : 'red'} size={18} radius="xl" aria-label={step.ok ? 'passed' : 'failed'}>
                {step.ok ? '✓' : '!'}
              </ThemeIcon>
            }
          >
            <Text size="sm" fw={600} span>
              {STEP_LABEL[step.name]}:{' '}
            </Text>
            <Text size="sm" span>
              {step.detail}
            </Text>
            {step.fix && (
              <Text size="sm" c="dimmed" data-testid="connection-fix">
                What to do: {step.fix}
              </Text>
            )}
          </List.Item>
        ))}
      </List>
    </Alert>
  );
}
