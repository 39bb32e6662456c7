import { Alert, Button, Card, Group, NumberInput, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { APPROVAL_TIMEOUT_SECONDS, type AppSettings, type NotificationCause, type SettingsPatch } from '../../../electron/shared/contract';
import { api, errorText } from '../api';
import { UpdatesPanel } from '../components/UpdatesPanel';

const NOTIFICATIONS: { cause: NotificationCause; label: string; description: string }[] = [
  { cause: 'alarm', label: 'Memory or disk alarm', description: 'The broker is short of memory or disk and holds back publishers.' },
  {
    cause: 'dead-letters',
    label: 'Messages dead-lettered',
    description: 'A queue gains dead letters: messages that were rejected or expired.',
  },
  {
    cause: 'idle-queue',
    label: 'Messages waiting with no consumer',
    description: 'A queue loses its last consumer while messages wait in it.',
  },
  { cause: 'broker-down', label: 'Broker down or back', description: 'The broker stops answering, and when it answers again.' },
  { cause: 'server-crash', label: 'MCP server crashed', description: 'The server that AI apps talk to stopped unexpectedly.' },
];

function Section({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <Card withBorder padding="lg" component="section" aria-label={title} data-testid={testId}>
      <Title order={3} size="h4" mb="sm">
        {title}
      </Title>
      <Stack gap="sm">{children}</Stack>
    </Card>
  );
}

/** The app's settings (each change is saved at once), the About box and the diagnostics export. */
export function SettingsPage({ onOpenAbout }: { onOpenAbout: () => void }) {
  const [settings, setSettings] = useState<AppSettings | null>(null);
  const [feedUrl, setFeedUrl] = useState('');
  const [feedProblem, setFeedProblem] = useState<string | null>(null);
  const [answerSeconds, setAnswerSeconds] = useState<string | number>('');
  const [answerProblem, setAnswerProblem] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ message: string; ok: boolean } | null>(null);

  useEffect(() => {
    const show = (next: AppSettings) => {
      setSettings(next);
      setFeedUrl(next.updates.feedUrl);
      setAnswerSeconds(next.approvals.timeoutSeconds);
    };
    api.settings.get().then(show, (error) => setNotice({ message: errorText(error), ok: false }));
    // A change from the tray (start at login) shows here too.
    return api.events.on('settings-changed', setSettings);
  }, []);

  const change = async (patch: SettingsPatch, saved: string) => {
    try {
      setSettings(await api.settings.update(patch));
      setNotice({ message: saved, ok: true });
      return true;
    } catch (error) {
      setNotice({ message: errorText(error), ok: false });
      return false;
    }
  };

  const saveFeed = async (event: FormEvent) => {
    event.preventDefault();
    const value = feedUrl.trim();
    if (value !== '' && !/^https?:\/\/\S+$/i.test(value)) {
      setFeedProblem('Enter an address that starts with https:// (or http://), or leave it empty for the GitHub releases.');
      return;
    }
    setFeedProblem(null);
    await change({ updates: { feedUrl: value } }, value ? `Updates now come from ${value}.` : 'Updates now come from the GitHub releases.');
  };

  const saveAnswerTime = async (event: FormEvent) => {
    event.preventDefault();
    const { min, max } = APPROVAL_TIMEOUT_SECONDS;
    const seconds = typeof answerSeconds === 'number' ? answerSeconds : Number(String(answerSeconds).trim() || Number.NaN);
    if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
      setAnswerProblem(`Enter a whole number of seconds from ${min} to ${max} (15 minutes).`);
      return;
    }
    setAnswerProblem(null);
    await change({ approvals: { timeoutSeconds: seconds } }, `You now have ${seconds} seconds to answer an approval.`);
  };

  const exportDiagnostics = async () => {
    try {
      const saved = await api.diagnostics.export();
      if (saved) setNotice({ message: `Saved the diagnostics to ${saved.path}`, ok: true });
    } catch (error) {
      setNotice({ message: errorText(error), ok: false });
    }
  };

  return (
    <Stack>
      <Title order={2}>Settings</Title>
      {/* One live region for what each change did. */}
      <div role="status" aria-live="polite" data-testid="settings-notice">
        {notice && (
          <Alert color={notice.ok ? 'green' : 'red'} withCloseButton closeButtonLabel="Dismiss" onClose={() => setNotice(null)}>
            {notice.message}
          </Alert>
        )}
      </div>
      {settings && (
        <>
          <Section title="Start">
            <Switch
              label="Start RabbitMQ MCP when you log in"
              description="It starts in the tray, without opening this window, so AI apps can reach your broker right away."
              checked={settings.startAtLogin}
              onChange={(event) => {
                const on = event.currentTarget.checked;
                void change(
                  { startAtLogin: on },
                  on ? 'RabbitMQ MCP will start when you log in.' : 'RabbitMQ MCP will not start at login.',
                );
              }}
            />
          </Section>
          <Section title="Notifications">
            <Text size="sm" c="dimmed">
              About the active broker. Each kind is shown at most once every few minutes.
            </Text>
            {NOTIFICATIONS.map(({ cause, label, description }) => (
              <Switch
                key={cause}
                label={label}
                description={description}
                checked={settings.notifications[cause]}
                onChange={(event) => {
                  const on = event.currentTarget.checked;
                  void change({ notifications: { [cause]: on } }, `${label}: notifications ${on ? 'on' : 'off'}.`);
                }}
              />
            ))}
          </Section>
          <Section title="Approvals" testId="approvals-section">
            <Text size="sm" c="dimmed">
              When a broker profile asks you to approve what the AI does, a dialog shows each request. A request you do not answer in time
              is refused.
            </Text>
            <form onSubmit={(event) => void saveAnswerTime(event)} noValidate>
              <Group align="flex-end" wrap="nowrap">
                <NumberInput
                  label="Time to answer an approval (seconds)"
                  description={`From ${APPROVAL_TIMEOUT_SECONDS.min} to ${APPROVAL_TIMEOUT_SECONDS.max}; ${APPROVAL_TIMEOUT_SECONDS.default} by default. The AI app waits this long for your answer.`}
                  hideControls
                  allowDecimal={false}
                  allowNegative={false}
                  value={answerSeconds}
                  onChange={setAnswerSeconds}
                  error={answerProblem}
                  style={{ flex: 1 }}
                />
                <Button type="submit" variant="default" disabled={Number(answerSeconds) === settings.approvals.timeoutSeconds}>
                  Save time
                </Button>
              </Group>
            </form>
          </Section>
          <Section title="Updates" testId="updates-section">
            <Switch
              label="Check for updates automatically"
              description="At start and once a day. An update downloads in the background and is installed only when you say so."
              checked={settings.updates.check}
              onChange={(event) => {
                const on = event.currentTarget.checked;
                void change(
                  { updates: { check: on } },
                  on ? 'Updates are checked automatically.' : 'Updates are no longer checked automatically.',
                );
              }}
            />
            <form onSubmit={(event) => void saveFeed(event)} noValidate>
              <Group align="flex-end" wrap="nowrap">
                <TextInput
                  label="Update feed address (URL)"
                  description="Leave it empty to get updates from the app's GitHub releases. A company that hosts its own copy of the updates gives you its address, starting with https://."
                  placeholder="Empty: the GitHub releases"
                  value={feedUrl}
                  onChange={(event) => setFeedUrl(event.currentTarget.value)}
                  error={feedProblem}
                  style={{ flex: 1 }}
                />
                <Button type="submit" variant="default" disabled={feedUrl.trim() === settings.updates.feedUrl}>
                  Save address
                </Button>
              </Group>
            </form>
            <UpdatesPanel headingLevel={4} />
          </Section>
        </>
      )}
      <Section title="Help and diagnostics">
        <Text size="sm" c="dimmed">
          The diagnostics file is one zip with the logs of the last 7 days, the versions of the app and the broker, your operating system,
          these settings and your broker profiles. Passwords and tokens are taken out. Attach it to a problem report.
        </Text>
        <Group>
          <Button variant="default" onClick={() => void exportDiagnostics()}>
            Export diagnostics…
          </Button>
          <Button variant="default" onClick={onOpenAbout}>
            About RabbitMQ MCP
          </Button>
        </Group>
      </Section>
    </Stack>
  );
}
