import { Divider, Fieldset, Group, NumberInput, PasswordInput, SimpleGrid, Switch, TextInput } from '@mantine/core';
import { type UseFormReturnType, useForm } from '@mantine/form';
import type { ProfileInput, ProfileView } from '../../../electron/shared/contract';
import { ApprovalField, SafetyLevelField } from './SafetyLevel';

export interface ProfileFormValues {
  name: string;
  amqpHost: string;
  amqpPort: number;
  amqpTls: boolean;
  amqpCa: string;
  managementHost: string;
  managementPort: number;
  managementTls: boolean;
  managementBasePath: string;
  user: string;
  password: string;
  vhost: string;
  safety: ProfileInput['safety'];
  /** When the person approves in the app what the AI does (kept at read-only, where it is not shown). */
  approval: NonNullable<ProfileInput['approval']>;
  /** The scope as the server's --vhosts and --queues take it: comma-separated globs, !glob denies. */
  vhostScope: string;
  queueScope: string;
}

export const NEW_PROFILE: ProfileFormValues = {
  name: 'Local RabbitMQ',
  amqpHost: 'localhost',
  amqpPort: 5672,
  amqpTls: false,
  amqpCa: '',
  managementHost: 'localhost',
  managementPort: 15672,
  managementTls: false,
  managementBasePath: '',
  user: 'guest',
  password: '',
  vhost: '/',
  safety: 'read-only',
  approval: 'destructive',
  vhostScope: '',
  queueScope: '',
};

type Scope = NonNullable<ProfileInput['scopes']>['vhosts'];

/** A scope as the user types it: allows, then denies with a leading !. */
function scopeText(scope: Scope): string {
  return [...(scope?.allow ?? []), ...(scope?.deny ?? []).map((pattern) => `!${pattern}`)].join(',');
}

function scopeOf(text: string): Scope {
  const patterns = text
    .split(',')
    .map((pattern) => pattern.trim())
    .filter(Boolean);
  const allow = patterns.filter((pattern) => !pattern.startsWith('!'));
  const deny = patterns.filter((pattern) => pattern.startsWith('!')).map((pattern) => pattern.slice(1));
  return patterns.length === 0 ? undefined : { ...(allow.length > 0 ? { allow } : {}), ...(deny.length > 0 ? { deny } : {}) };
}

/** What is wrong with a typed scope, as the server would say it. */
function scopeProblem(text: string): string | null {
  for (const pattern of text.split(',').map((item) => item.trim())) {
    if (pattern === '' && text.trim() !== '') return 'Remove the empty pattern between two commas';
    if (pattern === '!') return 'A ! needs a pattern after it';
    if (pattern.slice(1).includes('!')) return `"${pattern}": only a leading ! (deny) is allowed`;
  }
  return null;
}

export function valuesOf(profile: ProfileView): ProfileFormValues {
  return {
    name: profile.name,
    amqpHost: profile.amqp.host,
    amqpPort: profile.amqp.port,
    amqpTls: profile.amqp.tls.enabled,
    amqpCa: profile.amqp.tls.caFile ?? '',
    managementHost: profile.management.host,
    managementPort: profile.management.port,
    managementTls: profile.management.tls.enabled,
    managementBasePath: profile.management.basePath,
    user: profile.user,
    password: '',
    vhost: profile.vhost,
    safety: profile.safety,
    approval: profile.approval,
    vhostScope: scopeText(profile.scopes?.vhosts),
    queueScope: scopeText(profile.scopes?.queues),
  };
}

export function inputOf(values: ProfileFormValues): ProfileInput {
  const tls = (enabled: boolean, caFile: string) => ({ enabled, verify: true, ...(enabled && caFile ? { caFile } : {}) });
  return {
    name: values.name,
    amqp: { host: values.amqpHost, port: Number(values.amqpPort), tls: tls(values.amqpTls, values.amqpCa) },
    management: {
      host: values.managementHost,
      port: Number(values.managementPort),
      basePath: values.managementBasePath,
      tls: tls(values.managementTls, values.amqpCa),
    },
    user: values.user,
    vhost: values.vhost,
    safety: values.safety,
    approval: values.approval,
    ...scopesOf(values),
  };
}

function scopesOf(values: ProfileFormValues): Pick<ProfileInput, 'scopes'> {
  const vhosts = scopeOf(values.vhostScope);
  const queues = scopeOf(values.queueScope);
  return vhosts || queues ? { scopes: { ...(vhosts ? { vhosts } : {}), ...(queues ? { queues } : {}) } } : {};
}

const required = (label: string) => (value: unknown) => (String(value ?? '').trim() === '' ? `${label} is needed` : null);
const port = (value: number) => (Number.isInteger(Number(value)) && value >= 1 && value <= 65535 ? null : 'Ports go from 1 to 65535');

export function useProfileForm(initial: ProfileFormValues) {
  return useForm<ProfileFormValues>({
    mode: 'controlled',
    initialValues: initial,
    validate: {
      name: required('A name'),
      amqpHost: (value) => required('The host')(value) ?? (/[\s/@]/.test(value) ? 'A host name only: no amqp://, path or user@' : null),
      amqpPort: port,
      managementHost: required('The management host'),
      managementPort: port,
      user: required('The user'),
      vhost: required('The virtual host'),
      vhostScope: scopeProblem,
      queueScope: scopeProblem,
    },
  });
}

/** The broker settings of a profile; the management host follows the AMQP host until edited. */
export function ProfileFields({ form, editing }: { form: UseFormReturnType<ProfileFormValues>; editing: boolean }) {
  return (
    <>
      {/* The first field takes the focus wherever the form opens (wizard, Add and Edit drawers). */}
      <TextInput
        data-autofocus
        label="Profile name"
        description="How this broker appears in the tray, e.g. Production"
        {...form.getInputProps('name')}
      />
      <Fieldset legend="Broker connection (AMQP, the messaging protocol)">
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <TextInput
            label="Host"
            {...form.getInputProps('amqpHost')}
            onChange={(event) => {
              const next = event.currentTarget.value;
              if (form.getValues().managementHost === form.getValues().amqpHost) form.setFieldValue('managementHost', next);
              form.setFieldValue('amqpHost', next);
            }}
          />
          <NumberInput
            hideControls
            label="AMQP port"
            description="Usually 5672, or 5671 when encrypted"
            min={1}
            max={65535}
            {...form.getInputProps('amqpPort')}
          />
          <Switch
            mt={30}
            label="Encrypt the connection (TLS; amqps:// addresses)"
            {...form.getInputProps('amqpTls', { type: 'checkbox' })}
          />
        </SimpleGrid>
        {form.getValues().amqpTls && (
          <TextInput
            mt="sm"
            label="CA certificate file (PEM)"
            description="Leave empty to trust the system's certificates"
            {...form.getInputProps('amqpCa')}
          />
        )}
      </Fieldset>
      <Fieldset legend="Management web interface (management API)">
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <TextInput label="Management host" {...form.getInputProps('managementHost')} />
          <NumberInput
            hideControls
            label="Management port"
            description="Usually 15672, or 15671 with HTTPS"
            min={1}
            max={65535}
            {...form.getInputProps('managementPort')}
          />
          <Switch mt={30} label="Use HTTPS" {...form.getInputProps('managementTls', { type: 'checkbox' })} />
        </SimpleGrid>
      </Fieldset>
      <Group grow align="flex-start">
        <TextInput label="User" {...form.getInputProps('user')} />
        <PasswordInput
          label="Password"
          description={editing ? 'Leave empty to keep the saved password' : 'Stored encrypted by your operating system'}
          // The show/hide button is a Tab stop of its own (Mantine leaves it out by default).
          visibilityToggleFocusable
          visibilityToggleButtonProps={{ 'aria-label': 'Show the password' }}
          {...form.getInputProps('password')}
        />
        <TextInput
          label="Virtual host"
          description='A separate space of queues in the broker (a "vhost"); "/" is the default one'
          {...form.getInputProps('vhost')}
        />
      </Group>
      <Divider />
      <SafetyLevelField value={form.getValues().safety} onChange={(value) => form.setFieldValue('safety', value)} />
      {form.getValues().safety !== 'read-only' && (
        <ApprovalField value={form.getValues().approval} onChange={(value) => form.setFieldValue('approval', value)} />
      )}
      <Group grow align="flex-start">
        <TextInput
          label="Virtual hosts it may use"
          description="Comma-separated patterns, !pattern denies (prod-*,!prod-billing); empty for all"
          {...form.getInputProps('vhostScope')}
        />
        <TextInput
          label="Queues it may use"
          description="The same way (orders-*,!*.audit); others are invisible to the AI assistant"
          {...form.getInputProps('queueScope')}
        />
      </Group>
    </>
  );
}
