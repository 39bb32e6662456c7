import { Radio, SegmentedControl, Stack, Text } from '@mantine/core';
import type { ProfileInput } from '../../../electron/shared/contract';
import type { ApprovalPolicy } from '../../../electron/shared/profile';

type Safety = ProfileInput['safety'];

/** The choices of when to ask, in the order shown, finishing the sentence "Ask me in this app before the AI…". */
export const APPROVAL_TEXT: { value: ApprovalPolicy; label: string; explain: string }[] = [
  {
    value: 'destructive',
    label: 'removes or loses something (recommended)',
    explain: 'Deleting, purging, consuming messages or closing connections waits until you press Approve here.',
  },
  {
    value: 'every-change',
    label: 'changes anything',
    explain: 'Every change, creating a queue or publishing a message too, waits until you press Approve here.',
  },
  {
    value: 'none',
    label: 'never ask (a sandbox broker)',
    explain: 'The AI goes ahead within its safety level without asking you. Only for a broker where nothing can be lost.',
  },
];
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

/** When a person approves in the app what the AI does on this broker; not shown at read-only, where nothing can change. */
export function ApprovalField({ value, onChange }: { value: ApprovalPolicy; onChange: (value: ApprovalPolicy) => void }) {
  return (
    <Radio.Group
      label="Ask me in this app before the AI…"
      description="A dialog shows what would happen and which AI app asks; nothing happens until you press Approve."
      value={value}
      onChange={(next) => onChange(next as ApprovalPolicy)}
    >
      <Stack gap={8} mt={8}>
        {APPROVAL_TEXT.map((choice) => (
          <Radio key={choice.value} value={choice.value} label={choice.label} description={choice.explain} />
        ))}
      </Stack>
    </Radio.Group>
  );
}
