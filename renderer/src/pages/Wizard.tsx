import { Alert, Button, Checkbox, Group, List, Modal, Stack, Stepper, Text, Title } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import type { ClientId, ClientStatus, ConnectionCheck, SetupResult } from '../../../electron/shared/contract';
import { api } from '../api';
import { ConnectionResult } from '../components/ConnectionResult';
import { NEW_PROFILE, ProfileFields, inputOf, useProfileForm } from '../components/ProfileFields';
import { StickyActions, useScrollIntoView } from '../components/StickyActions';
import { useAction } from '../components/useAction';

/** First run: broker details → test connection → pick AI clients → done. */
export function Wizard({ opened, onDone }: { opened: boolean; onDone: () => void }) {
  const form = useProfileForm(NEW_PROFILE);
  const [step, setStep] = useState(0);
  const [check, setCheck] = useState<ConnectionCheck | null>(null);
  const { run, busy, problem } = useAction();
  const [clients, setClients] = useState<ClientStatus[]>([]);
  const [chosen, setChosen] = useState<ClientId[]>([]);
  const [results, setResults] = useState<SetupResult[]>([]);
  const resultRef = useRef<HTMLDivElement>(null);
  useScrollIntoView(resultRef, check);
  // Focus goes where the user's next step is: each step's first action, then what a test says.
  const testRef = useRef<HTMLButtonElement>(null);
  const saveRef = useRef<HTMLButtonElement>(null);
  const connectRef = useRef<HTMLButtonElement>(null);
  const openRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const target = [null, testRef, null, openRef][step]; // step 2 focuses Connect once its list is in
    // After the step's transition has rendered it.
    const timer = setTimeout(() => target?.current?.focus(), 50);
    return () => clearTimeout(timer);
  }, [step]);
  useEffect(() => {
    if (check) (check.ok ? saveRef.current : resultRef.current)?.focus();
  }, [check]);
  const next = () => {
    if (!form.validate().hasErrors) return setStep(1);
    // Into the first field to fix, once the errors are on screen.
    setTimeout(() => document.querySelector<HTMLElement>('[data-testid="wizard"] [aria-invalid="true"]')?.focus(), 0);
  };

  useEffect(() => {
    if (step === 2)
      void api.clients.list().then((list) => {
        setClients(list);
        setChosen(list.filter((client) => client.installed && client.state !== 'configured').map((client) => client.id));
        // Connect is enabled once the installed clients are chosen: then it takes the focus.
        setTimeout(() => connectRef.current?.focus(), 50);
      });
  }, [step]);

  const test = () => run(async () => setCheck(await api.connection.test(inputOf(form.getValues()), form.getValues().password)));
  const save = () =>
    run(async () => {
      await api.profiles.create(inputOf(form.getValues()), form.getValues().password);
      setStep(2);
    });
  const connect = () =>
    run(async () => {
      const done: SetupResult[] = [];
      for (const id of chosen) done.push(await api.clients.connect(id));
      setResults(done);
      setStep(3);
    });
  const finish = () =>
    run(async () => {
      await api.app.completeFirstRun();
      onDone();
    });

  return (
    <Modal
      opened={opened}
      onClose={() => undefined}
      withCloseButton={false}
      fullScreen
      title={<Title order={2}>Welcome to RabbitMQ MCP</Title>}
      data-testid="wizard"
    >
      <Stepper active={step} allowNextStepsSelect={false} mt="md">
        <Stepper.Step label="Your broker" description="Where RabbitMQ runs">
          <Stack mt="lg" maw={900}>
            <Text c="dimmed">
              Tell the app how to reach your RabbitMQ. You can add more brokers (staging, production…) later and switch between them from
              the tray.
            </Text>
            <ProfileFields form={form} editing={false} />
            <StickyActions justify="flex-end">
              <Button onClick={next}>Next: test the connection</Button>
            </StickyActions>
          </Stack>
        </Stepper.Step>
        <Stepper.Step label="Test connection" description="Check it works">
          <Stack mt="lg" maw={900}>
            <Text>
              The app tries AMQP on {form.getValues().amqpHost}:{form.getValues().amqpPort} and the management API on{' '}
              {form.getValues().managementHost}:{form.getValues().managementPort} as {form.getValues().user}.
            </Text>
            {/* A live region from the start, so that a screen reader announces the result when it comes. */}
            <div ref={resultRef} tabIndex={-1} role="status" aria-live="polite" style={{ scrollMarginBottom: 80, outline: 'none' }}>
              {check && <ConnectionResult check={check} />}
            </div>
            {problem && <Alert color="red">{problem}</Alert>}
            <StickyActions justify="space-between">
              <Button variant="default" onClick={() => setStep(0)}>
                Back: change the details
              </Button>
              <Group>
                <Button ref={testRef} variant="light" loading={busy} onClick={test}>
                  Test connection
                </Button>
                <Button ref={saveRef} disabled={!check?.ok} loading={busy} onClick={save}>
                  Save and continue
                </Button>
              </Group>
            </StickyActions>
          </Stack>
        </Stepper.Step>
        <Stepper.Step label="AI clients" description="Where you chat">
          <Stack mt="lg" maw={900}>
            <Text>
              Pick the AI apps that should use RabbitMQ. Only their MCP settings change, with a backup you can restore from the AI clients
              page.
            </Text>
            {clients.map((client) => (
              <Checkbox
                key={client.id}
                label={`${client.name}${client.installed ? '' : ' (not found on this computer)'}`}
                description={client.configPath}
                disabled={!client.installed}
                checked={chosen.includes(client.id)}
                onChange={(event) =>
                  setChosen((list) => (event.currentTarget.checked ? [...list, client.id] : list.filter((id) => id !== client.id)))
                }
              />
            ))}
            {problem && <Alert color="red">{problem}</Alert>}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setStep(3)}>
                Skip
              </Button>
              <Button ref={connectRef} loading={busy} disabled={chosen.length === 0} onClick={connect}>
                Connect {chosen.length === 1 ? 'it' : 'them'}
              </Button>
            </Group>
          </Stack>
        </Stepper.Step>
        <Stepper.Completed>
          <Stack mt="lg" maw={900}>
            <Title order={3}>All set</Title>
            {results.length > 0 ? (
              <Alert color="orange" title="One more step in each AI app">
                <List size="sm">
                  {results.map((result) => (
                    <List.Item key={result.status.id}>{result.message}</List.Item>
                  ))}
                </List>
              </Alert>
            ) : (
              <Text>You can connect AI apps any time from the AI clients page.</Text>
            )}
            <Text c="dimmed">The app keeps running in the tray: switch brokers there, or open this window from it.</Text>
            <Group justify="flex-end">
              <Button ref={openRef} loading={busy} onClick={finish}>
                Open the app
              </Button>
            </Group>
          </Stack>
        </Stepper.Completed>
      </Stepper>
    </Modal>
  );
}
