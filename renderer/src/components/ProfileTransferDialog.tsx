import { Alert, Badge, Button, Checkbox, Group, List, Modal, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { type CSSProperties, useEffect, useRef, useState } from 'react';
import type {
  ImportCandidateView,
  ImportPreview,
  ImportResult,
  ImportSource,
  ProfileInput,
  ProfileView,
  UsualImportFile,
} from '../../../electron/shared/contract';
import { api } from '../api';
import { StickyActions } from './StickyActions';
import { useAction } from './useAction';

export type TransferMode = 'export' | 'import';

const MIN_PASSPHRASE = 8;

/** Mantine's red text is 3.6:1 on white: a darker red in the light theme, a lighter one in the dark, for 4.5:1 (WCAG AA). */
const ERROR_TEXT = 'light-dark(var(--mantine-color-red-9), var(--mantine-color-red-4))';
/** For a field in error: the message in that red, the typed text in the normal colour (the red border still marks it). */
const FIELD_ERROR_STYLES = { error: { color: ERROR_TEXT }, input: { '--input-color': 'var(--mantine-color-text)' } as CSSProperties };

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** A heading that takes the focus when a step appears, so a screen reader and the keyboard start there. */
function StepTitle({ children }: { children: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <Title order={3} size="h4" ref={ref} tabIndex={-1} style={{ outlineOffset: 2 }}>
      {children}
    </Title>
  );
}

function inputOfView(view: ProfileView): ProfileInput {
  const { id: _id, createdAt: _created, updatedAt: _updated, active: _active, hasPassword: _has, ...input } = view;
  return input;
}

/** Export: which profiles, and whether their passwords go along, encrypted with a passphrase typed twice. */
function ExportFlow({ profiles, onClose }: { profiles: ProfileView[]; onClose: (done?: string) => void }) {
  const [chosen, setChosen] = useState<string[]>(profiles.map((profile) => profile.id));
  const [withPasswords, setWithPasswords] = useState(false);
  const [passphrase, setPassphrase] = useState('');
  const [again, setAgain] = useState('');
  const [tried, setTried] = useState(false);
  const { run, busy, problem } = useAction();
  const passphraseRef = useRef<HTMLInputElement>(null);
  const againRef = useRef<HTMLInputElement>(null);

  const passphraseError = withPasswords && tried && passphrase.length < MIN_PASSPHRASE ? `Use at least ${MIN_PASSPHRASE} characters` : null;
  const againError = withPasswords && tried && !passphraseError && again !== passphrase ? 'This is not the same passphrase' : null;
  const all = chosen.length === profiles.length;

  const exportNow = () => {
    setTried(true);
    if (withPasswords && passphrase.length < MIN_PASSPHRASE) return passphraseRef.current?.focus();
    if (withPasswords && again !== passphrase) return againRef.current?.focus();
    void run(async () => {
      // In the order of the list, whatever order they were ticked in.
      const ids = profiles.filter((profile) => chosen.includes(profile.id)).map((profile) => profile.id);
      const result = await api.profiles.exportToFile({ ids, ...(withPasswords ? { passphrase } : {}) });
      if (!result) return; // the person cancelled the save dialog: the choices stay
      onClose(
        `Exported ${plural(result.count, 'profile')} to ${result.path}${
          result.withPasswords ? ', passwords encrypted with your passphrase.' : ', without passwords.'
        }`,
      );
    });
  };

  return (
    <Stack>
      <StepTitle>Which profiles?</StepTitle>
      <Text size="sm">
        The file keeps the brokers&apos; addresses, users and settings, to back them up or to open them in RabbitMQ MCP on another computer.
      </Text>
      <Checkbox
        label="All profiles"
        checked={all}
        indeterminate={!all && chosen.length > 0}
        onChange={(event) => {
          const checked = event.currentTarget.checked;
          setChosen(checked ? profiles.map((profile) => profile.id) : []);
        }}
      />
      <Checkbox.Group label="Profiles to export" value={chosen} onChange={setChosen}>
        <Stack gap={6} mt="xs" ml="md">
          {profiles.map((profile) => (
            <Checkbox
              key={profile.id}
              value={profile.id}
              label={profile.name}
              description={`${profile.user} at ${profile.amqp.host}:${profile.amqp.port}`}
            />
          ))}
        </Stack>
      </Checkbox.Group>
      <Checkbox
        label="Include the passwords, encrypted with a passphrase"
        description="Without it the file has no passwords, and they are typed again after an import."
        checked={withPasswords}
        onChange={(event) => {
          const checked = event.currentTarget.checked;
          setWithPasswords(checked);
          setTried(false);
        }}
      />
      {withPasswords && (
        <Stack gap="sm" ml="md">
          <PasswordInput
            ref={passphraseRef}
            label="Passphrase"
            description={`At least ${MIN_PASSPHRASE} characters. Whoever imports the file needs it; the app does not keep it.`}
            value={passphrase}
            onChange={(event) => setPassphrase(event.currentTarget.value)}
            error={passphraseError}
            styles={FIELD_ERROR_STYLES}
            autoComplete="new-password"
          />
          <PasswordInput
            ref={againRef}
            label="Type the passphrase again"
            value={again}
            onChange={(event) => setAgain(event.currentTarget.value)}
            error={againError}
            styles={FIELD_ERROR_STYLES}
            autoComplete="new-password"
          />
        </Stack>
      )}
      {problem && (
        <Alert color="red" title="Not exported">
          {problem}
        </Alert>
      )}
      <StickyActions justify="flex-end">
        <Button variant="default" onClick={() => onClose()}>
          Cancel
        </Button>
        <Button loading={busy} disabled={chosen.length === 0} onClick={exportNow}>
          {`Export ${plural(chosen.length, 'profile')}…`}
        </Button>
      </StickyActions>
    </Stack>
  );
}

function PasswordState({ candidate }: { candidate: ImportCandidateView }) {
  const text = {
    included: 'Password: in the file.',
    encrypted: 'Password: encrypted in the file; the passphrase below opens it.',
    none: 'Password: not in the file; you can add it after the import.',
  }[candidate.password];
  return <Text size="sm">{text}</Text>;
}

function CandidateCard({
  candidate,
  chosen,
  name,
  nameError,
  onChoose,
  onName,
}: {
  candidate: ImportCandidateView;
  chosen: boolean;
  name: string;
  nameError: string | null;
  onChoose: (chosen: boolean) => void;
  onName: (name: string) => void;
}) {
  const settings = candidate.settings;
  return (
    <Paper withBorder p="sm" data-testid="import-candidate">
      <Stack gap={6}>
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Checkbox
            label={`Import ${candidate.name}`}
            checked={chosen}
            disabled={!settings}
            onChange={(event) => {
              const checked = event.currentTarget.checked;
              onChoose(checked);
            }}
          />
          {!settings ? (
            <Badge color="red" variant="light">
              Cannot be imported
            </Badge>
          ) : candidate.clash ? (
            <Badge color="yellow" variant="light">
              Name taken
            </Badge>
          ) : (
            <Badge color="green" variant="light">
              New
            </Badge>
          )}
        </Group>
        <Text size="xs" c="dimmed">
          {candidate.origin}
        </Text>
        {settings && (
          <Text size="sm">
            {`User ${settings.user} on virtual host (vhost) ${settings.vhost} at ${settings.amqp.host}: messages (AMQP) on port ${settings.amqp.port}${settings.amqp.tls.enabled ? ' with TLS' : ''}, the management API on port ${settings.management.port}.`}
          </Text>
        )}
        {settings && <PasswordState candidate={candidate} />}
        {candidate.problem && (
          <Text size="sm" fw={600} style={{ color: ERROR_TEXT }}>
            {candidate.problem}
          </Text>
        )}
        {candidate.clash && chosen && (
          <TextInput
            label={`New name for ${candidate.name}`}
            description={`A profile named "${candidate.name}" already exists and stays as it is: import this one under another name, or untick it to skip it.`}
            value={name}
            onChange={(event) => onName(event.currentTarget.value)}
            error={nameError}
            styles={FIELD_ERROR_STYLES}
            data-name-error={nameError ? 'true' : undefined}
          />
        )}
        {candidate.notes.length > 0 && (
          <List size="sm" spacing={2}>
            {candidate.notes.map((note) => (
              <List.Item key={note}>{note}</List.Item>
            ))}
          </List>
        )}
      </Stack>
    </Paper>
  );
}

/** The preview: what each profile would become, names taken renamed or skipped, the passphrase when needed. */
function ImportPreviewStep({
  preview,
  existing,
  onBack,
  onCancel,
  onImported,
}: {
  preview: ImportPreview;
  existing: string[];
  onBack: () => void;
  onCancel: () => void;
  onImported: (result: ImportResult) => void;
}) {
  const importable = preview.candidates.filter((candidate) => candidate.settings);
  const [chosen, setChosen] = useState<Set<number>>(new Set(importable.map((candidate) => candidate.key)));
  const [names, setNames] = useState<Record<number, string>>(
    Object.fromEntries(preview.candidates.map((candidate) => [candidate.key, candidate.suggestedName])),
  );
  const [passphrase, setPassphrase] = useState('');
  const [withoutPasswords, setWithoutPasswords] = useState(false);
  const [tried, setTried] = useState(false);
  const { run, busy, problem } = useAction();
  const listRef = useRef<HTMLDivElement>(null);
  const passphraseRef = useRef<HTMLInputElement>(null);

  const finalName = (key: number) => (names[key] ?? '').trim();
  const nameError = (key: number): string | null => {
    const name = finalName(key);
    if (name === '') return 'Give it a name, or untick it to skip it';
    if (name.length > 80) return 'At most 80 characters';
    if (existing.includes(name)) return `A profile named "${name}" already exists`;
    if ([...chosen].some((other) => other !== key && finalName(other) === name)) return 'Another imported profile has this name';
    return null;
  };
  const picked = importable.filter((candidate) => chosen.has(candidate.key));
  const passphraseMissing = preview.needsPassphrase && !withoutPasswords && passphrase === '';

  const importNow = () => {
    setTried(true);
    if (picked.some((candidate) => nameError(candidate.key))) {
      // After the render that shows the errors: the first field in error takes the focus.
      requestAnimationFrame(() => listRef.current?.querySelector<HTMLInputElement>('input[data-name-error="true"]')?.focus());
      return;
    }
    if (passphraseMissing) return passphraseRef.current?.focus();
    void run(async () => {
      const result = await api.profiles.applyImport({
        token: preview.token,
        choices: picked.map((candidate) => ({ key: candidate.key, name: finalName(candidate.key) })),
        ...(preview.needsPassphrase && !withoutPasswords ? { passphrase } : {}),
        ...(preview.needsPassphrase && withoutPasswords ? { withoutPasswords: true } : {}),
      });
      onImported(result);
    });
  };

  return (
    <Stack>
      <StepTitle>What the file holds</StepTitle>
      <Text size="sm">
        {preview.path} is {preview.formatLabel}, with {plural(preview.candidates.length, 'profile')}. Nothing changes until you import.
      </Text>
      {preview.notes.map((note) => (
        <Text size="sm" key={note}>
          {note}
        </Text>
      ))}
      <Stack gap="sm" ref={listRef}>
        {preview.candidates.map((candidate) => (
          <CandidateCard
            key={candidate.key}
            candidate={candidate}
            chosen={chosen.has(candidate.key)}
            name={names[candidate.key] ?? ''}
            nameError={tried || candidate.clash ? nameError(candidate.key) : null}
            onChoose={(checked) =>
              setChosen((previous) => {
                const next = new Set(previous);
                if (checked) next.add(candidate.key);
                else next.delete(candidate.key);
                return next;
              })
            }
            onName={(name) => setNames((previous) => ({ ...previous, [candidate.key]: name }))}
          />
        ))}
      </Stack>
      {preview.needsPassphrase && (
        <Stack gap="xs">
          <PasswordInput
            ref={passphraseRef}
            label="Passphrase"
            description="The one chosen when the file was exported."
            value={passphrase}
            disabled={withoutPasswords}
            onChange={(event) => setPassphrase(event.currentTarget.value)}
            error={tried && passphraseMissing ? 'Enter the passphrase, or import without the passwords' : null}
            styles={FIELD_ERROR_STYLES}
            autoComplete="off"
          />
          <Checkbox
            label="Import without the passwords (I do not have the passphrase)"
            checked={withoutPasswords}
            onChange={(event) => {
              const checked = event.currentTarget.checked;
              setWithoutPasswords(checked);
            }}
          />
        </Stack>
      )}
      {problem && (
        <Alert color="red" title="Nothing was imported">
          {problem}
        </Alert>
      )}
      <StickyActions justify="space-between">
        <Button variant="subtle" onClick={onBack}>
          Choose another file
        </Button>
        <Group gap="xs">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button loading={busy} disabled={picked.length === 0} onClick={importNow}>
            {`Import ${plural(picked.length, 'profile')}`}
          </Button>
        </Group>
      </StickyActions>
    </Stack>
  );
}

/** After the import: what came in, and the passwords the file did not have, to type now or later. */
function ImportDone({ result, onClose }: { result: ImportResult; onClose: (done?: string) => void }) {
  const missing = result.imported.filter((view) => result.withoutPassword.includes(view.id));
  const [passwords, setPasswords] = useState<Record<string, string>>({});
  const { run, busy, problem } = useAction();
  const summary = `Imported ${plural(result.imported.length, 'profile')}: ${result.imported.map((view) => view.name).join(', ')}.${
    result.skipped > 0 ? ` Skipped ${result.skipped}.` : ''
  }`;

  return (
    <Stack>
      <StepTitle>Imported</StepTitle>
      <Text size="sm" role="status">
        {summary}
      </Text>
      {missing.length > 0 && (
        <>
          <Text size="sm">
            {missing.length === 1 ? 'This one has' : 'These have'} no password yet. Type {missing.length === 1 ? 'it' : 'them'} now, or
            later with Edit.
          </Text>
          {missing.map((view) => (
            <PasswordInput
              key={view.id}
              label={`Password for ${view.name}`}
              description={`User ${view.user} at ${view.management.host}`}
              value={passwords[view.id] ?? ''}
              onChange={(event) => {
                const value = event.currentTarget.value;
                setPasswords((previous) => ({ ...previous, [view.id]: value }));
              }}
              autoComplete="off"
            />
          ))}
        </>
      )}
      {problem && (
        <Alert color="red" title="Passwords not saved">
          {problem}
        </Alert>
      )}
      <StickyActions justify="flex-end">
        {missing.length > 0 && (
          <Button variant="default" onClick={() => onClose(summary)}>
            Later
          </Button>
        )}
        {missing.length > 0 ? (
          <Button
            loading={busy}
            onClick={() =>
              run(async () => {
                const typed = missing.filter((view) => (passwords[view.id] ?? '') !== '');
                for (const view of typed) await api.profiles.update(view.id, inputOfView(view), passwords[view.id]);
                onClose(`${summary}${typed.length > 0 ? ` Saved ${plural(typed.length, 'password')}.` : ''}`);
              })
            }
          >
            Save passwords
          </Button>
        ) : (
          <Button onClick={() => onClose(summary)}>Done</Button>
        )}
      </StickyActions>
    </Stack>
  );
}

/** Import: rabbitmqadmin's files found in their usual places, or any file from a dialog; then the preview, then the result. */
function ImportFlow({ profiles, onClose }: { profiles: ProfileView[]; onClose: (done?: string) => void }) {
  const [usual, setUsual] = useState<UsualImportFile[] | null>(null);
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const { run, busy, problem } = useAction();

  useEffect(() => {
    void api.profiles.usualImportFiles().then(setUsual, () => setUsual([]));
  }, []);

  const open = (source: ImportSource) =>
    run(async () => {
      const read = await api.profiles.previewImport(source);
      if (read) setPreview(read);
    });

  if (result) return <ImportDone result={result} onClose={onClose} />;
  if (preview)
    return (
      <ImportPreviewStep
        preview={preview}
        existing={profiles.map((profile) => profile.name)}
        onBack={() => setPreview(null)}
        onCancel={() => onClose()}
        onImported={setResult}
      />
    );
  return (
    <Stack>
      <StepTitle>Which file?</StepTitle>
      <Text size="sm">
        A file exported from RabbitMQ MCP, or rabbitmqadmin&apos;s configuration: the classic tool&apos;s ~/.rabbitmqadmin.conf or
        rabbitmqadmin v2&apos;s TOML file. You see what it holds before anything is imported.
      </Text>
      {usual && usual.length > 0 && (
        <Stack gap="xs">
          <Text size="sm" fw={600}>
            Found on this computer
          </Text>
          {usual.map((file) => (
            <Button
              key={file.path}
              variant="light"
              justify="flex-start"
              title={file.path}
              loading={busy}
              onClick={() => open({ from: 'usual', path: file.path })}
            >
              {`Import from ${file.label}`}
            </Button>
          ))}
        </Stack>
      )}
      {problem && (
        <Alert color="red" title="This file cannot be imported">
          {problem}
        </Alert>
      )}
      <StickyActions justify="flex-end">
        <Button variant="default" onClick={() => onClose()}>
          Cancel
        </Button>
        <Button loading={busy} onClick={() => open({ from: 'dialog' })}>
          Choose a file…
        </Button>
      </StickyActions>
    </Stack>
  );
}

/**
 * Profile export and import in one dialog: export writes the chosen profiles to a file the person
 * picks (passwords only when asked, encrypted with a passphrase typed twice); import reads the
 * app's own file or rabbitmqadmin's, previews it (new, name taken, no password) and imports all
 * the chosen profiles or none. onClose gets what was done, for the page's notice.
 */
export function ProfileTransferDialog({
  mode,
  profiles,
  onClose,
}: {
  mode: TransferMode | null;
  profiles: ProfileView[];
  onClose: (done?: string) => void;
}) {
  return (
    <Modal
      opened={mode !== null}
      onClose={() => onClose()}
      title={mode === 'export' ? 'Export profiles' : 'Import profiles'}
      size="lg"
      closeButtonProps={{ 'aria-label': mode === 'export' ? 'Close without exporting' : 'Close without importing' }}
    >
      {mode === 'export' && <ExportFlow profiles={profiles} onClose={onClose} />}
      {mode === 'import' && <ImportFlow profiles={profiles} onClose={onClose} />}
    </Modal>
  );
}
