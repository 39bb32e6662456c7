import { Alert, Button, Checkbox, Group, List, Modal, Stack, Stepper, Text, Title } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import type { ClientId, ClientStatus, ConnectionCheck, SetupResult } from '../../../electron/shared/contract';
import { api } from '../api';
import { ConnectionResult } from '../components/ConnectionResult';
import { NEW_PROFILE, ProfileFields, inputOf, useProfileForm, valuesOf } from '../components/ProfileFields';
import { StickyActions, useScrollIntoView } from '../components/StickyActions';
import { useAction } from '../components/useAction';

/**
 * First run: broker details → test connection → pick AI clients → done. A profile saved in an
 * earlier run of the wizard is its progress: reopened, it goes on from the AI clients step with
 * that profile (never a second one). "Set up later" leaves it at any step.
 */
export function Wizard({ opened, onDone }: { opened: boolean; onDone: () => void }) {
  const form = useProfileForm(NEW_PROFILE);
  const [step, setStep] = useState(0);
  /** The profile this wizard saved (now or in an earlier run): saving again updates it. */
  const [savedId, setSavedId] = useState<string | null>(null);
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

  // Reopened after the profile was saved: go on from there, with that profile.
  useEffect(() => {
    if (!opened) return;
    let live = true;
    void api.profiles.list().then((profiles) => {
      const saved = profiles.find((profile) => profile.active) ?? profiles[0];
      if (!live || !saved) return;
      setSavedId(saved.id);
      form.setValues(valuesOf(saved));
      form.resetDirty();
      setStep((current) => Math.max(current, 2));
    });
    return () => {
      live = false;
    };
    // Once per opening (the form's identity changes with every render, so it is not a dependency).
  }, [opened]);

  useEffect(() => {
    if (step === 2)
      void api.clients.list().then((list) => {
        setClients(list);
        setChosen(list.filter((client) => client.installed && client.state !== 'configured').map((client) => client.id));
        // Connect is enabled once the installed clients are chosen: then it takes the focus.
        setTimeout(() => connectRef.current?.focus(), 50);
      });
  }, [step]);

  /** The typed password; for a saved profile an empty field means the stored one. */
  const typedPassword = () => form.getValues().password || (savedId ? undefined : '');
  const test = () => run(async () => setCheck(await api.connection.test(inputOf(form.getValues()), typedPassword(), savedId ?? undefined)));
  const save = () =>
    run(async () => {
      const saved = savedId
        ? await api.profiles.update(savedId, inputOf(form.getValues()), typedPassword())
        : await api.profiles.create(inputOf(form.getValues()), form.getValues().password);
      setSavedId(saved.id);
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
  const toggle = (id: ClientId, checked: boolean) => setChosen((list) => (checked ? [...list, id] : list.filter((item) => item !== id)));

  return (
    <Modal.Root opened={opened} onClose={() => undefined} fullScreen data-testid="wizard">
      <Modal.Overlay />
      {/* The sticky actions at the bottom never hide what Tab or a scroll brings into view. */}
      <Modal.Content style={{ scrollPaddingBottom: 96, scrollPaddingTop: 80 }}>
        <Modal.Header>
          <Modal.Title style={{ fontSize: 'var(--mantine-h2-font-size)', fontWeight: 700 }}>Welcome to RabbitMQ MCP</Modal.Title>
          {step < 3 && (
            <Button
              variant="subtle"
              loading={busy}
              onClick={finish}
              title="Close this guide; add brokers and AI apps from the window any time"
            >
              Set up later
            </Button>
          )}
        </Modal.Header>
        <Modal.Body>
          <Stepper active={step} allowNextStepsSelect={false} mt="md">
            <Stepper.Step label="Your broker" description="Where RabbitMQ runs">
              <Stack mt="lg" maw={900}>
                <Text c="dimmed">
                  Tell the app how to reach your RabbitMQ. You can add more brokers (staging, production…) later and switch between them
                  from the tray.
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
                  The app connects to RabbitMQ at {form.getValues().amqpHost}:{form.getValues().amqpPort} (AMQP) and to its management web
                  interface (the management API) at {form.getValues().managementHost}:{form.getValues().managementPort}, as{' '}
                  {form.getValues().user}.
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
                <Text data-testid="wizard-saved">The broker profile {form.getValues().name} is saved.</Text>
                <Text>
                  Pick the AI apps that should use RabbitMQ. Only their MCP settings change, with a backup you can restore from the AI
                  clients page.
                </Text>
                {clients.map((client) => (
                  <Checkbox
                    key={client.id}
                    label={`${client.name}${client.installed ? '' : ' (not found on this computer)'}`}
                    description={client.configPath}
                    disabled={!client.installed}
                    checked={chosen.includes(client.id)}
                    // The event is read now: React may release it before a state updater runs.
                    onChange={(event) => toggle(client.id, event.currentTarget.checked)}
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
        </Modal.Body>
      </Modal.Content>
    </Modal.Root>
  );
}
