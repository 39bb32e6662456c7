import { ActionIcon, Alert, Badge, Button, Drawer, Group, Menu, Modal, Stack, Table, Text, Title } from '@mantine/core';
import { useRef, useState } from 'react';
import type { ConnectionCheck, ProfileView } from '../../../electron/shared/contract';
import { api, errorText } from '../api';
import { BrokerUserDialog } from '../components/BrokerUserDialog';
import { ConnectionResult } from '../components/ConnectionResult';
import { ProfileTransferDialog, type TransferMode } from '../components/ProfileTransferDialog';
import { NEW_PROFILE, ProfileFields, inputOf, useProfileForm, valuesOf } from '../components/ProfileFields';
import { SAFETY_TEXT } from '../components/SafetyLevel';
import { ServerState } from '../components/ServerState';
import { StickyActions, useScrollIntoView } from '../components/StickyActions';
import { useAction } from '../components/useAction';
import type { AppData } from '../components/useAppData';

function ProfileEditor({ profile, onClose }: { profile: ProfileView | null; onClose: () => void }) {
  const form = useProfileForm(profile ? valuesOf(profile) : { ...NEW_PROFILE, name: 'New broker' });
  const [check, setCheck] = useState<ConnectionCheck | null>(null);
  /** The settings the last test ran with: a save with others (or after a failure) asks first. */
  const [testedWith, setTestedWith] = useState<string | null>(null);
  const [confirmingSave, setConfirmingSave] = useState(false);
  const { run, busy, problem } = useAction();
  const resultRef = useRef<HTMLDivElement>(null);
  useScrollIntoView(resultRef, check ?? (confirmingSave ? 'confirm' : null));

  const password = () => form.getValues().password || undefined;
  const settings = () => JSON.stringify([inputOf(form.getValues()), form.getValues().password]);
  const test = () =>
    run(async () => {
      const tried = settings();
      setConfirmingSave(false);
      setCheck(await api.connection.test(inputOf(form.getValues()), password(), profile?.id));
      setTestedWith(tried);
    });
  const save = () =>
    run(async () => {
      if (profile) await api.profiles.update(profile.id, inputOf(form.getValues()), password());
      else await api.profiles.create(inputOf(form.getValues()), form.getValues().password);
      onClose();
    });
  const untested = testedWith !== settings() ? 'never' : check?.ok ? null : 'failed';

  return (
    <Stack>
      <ProfileFields form={form} editing={profile !== null} />
      <div ref={resultRef} role="status" aria-live="polite" style={{ scrollMarginBottom: 80 }}>
        {check && <ConnectionResult check={check} />}
        {confirmingSave && untested && (
          <Alert color="yellow" title={untested === 'failed' ? 'The connection test failed' : 'The connection was not tested'} mt="sm">
            {untested === 'failed'
              ? 'The AI apps will not reach this broker with these settings until it is fixed.'
              : 'These settings have not been tested: the AI apps may not reach this broker.'}{' '}
            Save anyway?
          </Alert>
        )}
      </div>
      {problem && (
        <Alert color="red" title="Not saved">
          {problem}
        </Alert>
      )}
      <StickyActions justify="flex-end">
        <Button variant="light" loading={busy} onClick={test}>
          Test connection
        </Button>
        {confirmingSave && untested ? (
          <Button color="yellow" loading={busy} onClick={save}>
            Save anyway
          </Button>
        ) : (
          <Button
            loading={busy}
            onClick={() => {
              if (form.validate().hasErrors) return;
              if (untested) setConfirmingSave(true);
              else void save();
            }}
          >
            Save
          </Button>
        )}
      </StickyActions>
    </Stack>
  );
}

export function ProfilesPage({ data }: { data: AppData }) {
  const [editing, setEditing] = useState<ProfileView | null | 'new'>(null);
  const [deleting, setDeleting] = useState<ProfileView | null>(null);
  const [makingUser, setMakingUser] = useState<ProfileView | null>(null);
  const [transfer, setTransfer] = useState<TransferMode | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const act = (work: () => Promise<unknown>) => work().catch((error) => setProblem(errorText(error)));

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Broker profiles</Title>
        <Button.Group ml="auto" aria-label="Profile files">
          <Button variant="default" onClick={() => setTransfer('import')}>
            Import…
          </Button>
          <Button variant="default" onClick={() => setTransfer('export')} disabled={data.profiles.length === 0}>
            Export…
          </Button>
        </Button.Group>
        <Button onClick={() => setEditing('new')}>Add a broker</Button>
      </Group>
      {data.info?.secretProtection === 'plain' && (
        <Alert color="yellow" title="Passwords are not protected by a keyring">
          This system has no keyring (GNOME Keyring or KWallet), so saved passwords are only obscured, not encrypted. Install and unlock a
          keyring to protect them.
        </Alert>
      )}
      {problem && (
        <Alert color="red" withCloseButton closeButtonLabel="Dismiss" onClose={() => setProblem(null)}>
          {problem}
        </Alert>
      )}
      {notice && (
        <Alert color="green" withCloseButton closeButtonLabel="Dismiss" onClose={() => setNotice(null)}>
          {notice}
        </Alert>
      )}
      {data.server.status !== 'stopped' && (
        <ServerState
          server={data.server}
          onEditProfile={() => {
            const active = data.profiles.find((candidate) => candidate.active);
            if (active) setEditing(active);
          }}
        />
      )}
      <Table highlightOnHover verticalSpacing="sm" data-testid="profiles-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Broker</Table.Th>
            <Table.Th>User and virtual host</Table.Th>
            <Table.Th miw={130}>What the AI may do</Table.Th>
            <Table.Th aria-label="Actions" />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {data.profiles.map((profile) => (
            <Table.Tr key={profile.id}>
              <Table.Td>
                <Group gap="xs">
                  <Text fw={600}>{profile.name}</Text>
                  {profile.active && <Badge color="green">Active</Badge>}
                </Group>
              </Table.Td>
              <Table.Td>
                {profile.amqp.host}:{profile.amqp.port}
                {profile.amqp.tls.enabled ? ' (TLS)' : ''}
              </Table.Td>
              <Table.Td>
                {profile.user} on {profile.vhost}
              </Table.Td>
              <Table.Td>
                <Badge color={SAFETY_TEXT[profile.safety].color} variant="light">
                  {SAFETY_TEXT[profile.safety].label}
                </Badge>
              </Table.Td>
              <Table.Td>
                <Group gap="xs" justify="flex-end" wrap="nowrap">
                  {!profile.active && (
                    <Button
                      size="xs"
                      variant="light"
                      onClick={() => act(() => api.profiles.activate(profile.id))}
                      aria-label={`Use this broker: ${profile.name}`}
                    >
                      Use this broker
                    </Button>
                  )}
                  <Button size="xs" variant="default" onClick={() => setEditing(profile)} aria-label={`Edit ${profile.name}`}>
                    Edit
                  </Button>
                  <Menu position="bottom-end">
                    <Menu.Target>
                      <ActionIcon variant="subtle" aria-label={`More actions for ${profile.name}`}>
                        ⋯
                      </ActionIcon>
                    </Menu.Target>
                    <Menu.Dropdown>
                      <Menu.Item onClick={() => act(() => api.profiles.duplicate(profile.id))}>Duplicate</Menu.Item>
                      {(profile.scopes?.vhosts || profile.scopes?.queues) && (
                        <Menu.Item onClick={() => setMakingUser(profile)}>Create a broker user for this scope…</Menu.Item>
                      )}
                      <Menu.Item color="red" onClick={() => setDeleting(profile)}>
                        Delete…
                      </Menu.Item>
                    </Menu.Dropdown>
                  </Menu>
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Drawer
        opened={editing !== null}
        onClose={() => setEditing(null)}
        position="right"
        size="xl"
        title={editing === 'new' ? 'Add a broker' : 'Edit broker'}
        closeButtonProps={{ 'aria-label': editing === 'new' ? 'Close without adding' : 'Close without saving' }}
      >
        {editing !== null && <ProfileEditor profile={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
      </Drawer>
      <BrokerUserDialog
        profile={makingUser}
        onClose={(done) => {
          setMakingUser(null);
          if (done) setNotice(done);
        }}
      />
      <ProfileTransferDialog
        mode={transfer}
        profiles={data.profiles}
        onClose={(done) => {
          setTransfer(null);
          if (done) setNotice(done);
        }}
      />
      <Modal opened={deleting !== null} onClose={() => setDeleting(null)} title="Delete this profile?">
        <Text>
          {deleting?.name} and its saved password will be removed. {deleting?.active ? 'The app will switch to another profile.' : ''}
        </Text>
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={() => setDeleting(null)}>
            Keep it
          </Button>
          <Button
            color="red"
            onClick={() => {
              const target = deleting;
              setDeleting(null);
              if (target) void act(() => api.profiles.remove(target.id));
            }}
          >
            Delete
          </Button>
        </Group>
      </Modal>
    </Stack>
  );
}
