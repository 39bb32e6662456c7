import { SegmentedControl, Stack, Text } from '@mantine/core';
import type { ProfileInput } from '../../../electron/shared/contract';

type Safety = ProfileInput['safety'];

export const SAFETY_TEXT: Record<Safety, { label: string; color: string; explain: string }> = {
  'read-only': {
    label: 'Read-only',
    color: 'teal',
    explain:
      'The assistant can look at everything (queues, messages, connections) but cannot change anything. Peeking never removes messages.',
  },
  write: {
    label: 'Write',
    color: 'yellow',
    explain: 'The assistant can also create queues, exchanges and bindings, and publish messages. It cannot delete or purge anything.',
  },
  destructive: {
    label: 'Destructive',
    color: 'red',
    explain:
      'The assistant can also delete, purge, consume messages and close connections. Each such action first shows what it would do and needs an explicit confirmation.',
  },
};

export function SafetyLevelField({ value, onChange }: { value: Safety; onChange: (value: Safety) => void }) {
  return (
    <Stack gap={6}>
      <Text size="sm" fw={500} id="safety-label">
        What the AI assistant may do
      </Text>
      <SegmentedControl
        aria-labelledby="safety-label"
        value={value}
        onChange={(next) => onChange(next as Safety)}
        data={(Object.keys(SAFETY_TEXT) as Safety[]).map((level) => ({ value: level, label: SAFETY_TEXT[level].label }))}
      />
      <Text size="sm" c="dimmed" data-testid="safety-explanation">
        {SAFETY_TEXT[value].explain}
      </Text>
    </Stack>
  );
}
