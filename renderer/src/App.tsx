import {
  ActionIcon,
  Alert,
  AppShell,
  Group,
  NavLink,
  Select,
  Text,
  Title,
  useComputedColorScheme,
  useMantineColorScheme,
} from '@mantine/core';
import { useCallback, useState } from 'react';
import { api } from './api';
import { ServerStatusBadge } from './components/ServerStatusBadge';
import { useAction } from './components/useAction';
import { useAppData } from './components/useAppData';
import { ClientsPage } from './pages/ClientsPage';
import { HealthPage } from './pages/HealthPage';
import { LogsPage } from './pages/LogsPage';
import { ProfilesPage } from './pages/ProfilesPage';
import { Wizard } from './pages/Wizard';
import { SettingsPage } from './pages/SettingsPage';
import { AboutDialog, useAboutRequests } from './components/AboutDialog';

const PAGES = [
  { id: 'profiles', label: 'Broker profiles' },
  { id: 'clients', label: 'AI clients' },
  { id: 'health', label: 'Health' },
  { id: 'logs', label: 'Logs' },
  { id: 'settings', label: 'Settings' },
] as const;

type PageId = (typeof PAGES)[number]['id'];

function ColorSchemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const scheme = useComputedColorScheme('light');
  const next = scheme === 'dark' ? 'light' : 'dark';
  return (
    <ActionIcon variant="default" size="lg" onClick={() => setColorScheme(next)} aria-label={`Switch to ${next} theme`}>
      {scheme === 'dark' ? '☀' : '☾'}
    </ActionIcon>
  );
}

export function App() {
  const data = useAppData();
  const [page, setPage] = useState<PageId>('profiles');
  const { run, problem, dismiss } = useAction();
  const active = data.profiles.find((profile) => profile.active);
  const [aboutOpen, setAboutOpen] = useState(false);
  const openAbout = useCallback(() => setAboutOpen(true), []);
  useAboutRequests(openAbout);

  const switchTo = (id: string | null) => {
    if (!id || id === active?.id) return;
    void run(() => api.profiles.activate(id));
  };

  return (
    // While the first-run wizard is open, the app behind it is inert: Tab stays in the wizard.
    <AppShell header={{ height: 60 }} navbar={{ width: 210, breakpoint: 'xs' }} padding="lg" inert={data.info?.firstRun === true}>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Title order={1} size="h3">
            RabbitMQ MCP
          </Title>
          <Group wrap="nowrap">
            <Select
              aria-label="Active broker"
              placeholder="No broker yet"
              data={data.profiles.map((profile) => ({ value: profile.id, label: profile.name }))}
              value={active?.id ?? null}
              onChange={switchTo}
              allowDeselect={false}
              w={220}
              data-testid="profile-switcher"
            />
            <ServerStatusBadge server={data.server} />
            <ColorSchemeToggle />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Pages">
        {PAGES.map((entry) => (
          <NavLink
            key={entry.id}
            label={entry.label}
            active={page === entry.id}
            onClick={() => setPage(entry.id)}
            aria-current={page === entry.id ? 'page' : undefined}
            component="button"
          />
        ))}
        <Text size="xs" c="dimmed" mt="auto" p="xs">
          {data.info ? `Version ${data.info.version}` : ''}
        </Text>
      </AppShell.Navbar>
      <AppShell.Main>
        {problem && (
          <Alert color="red" withCloseButton closeButtonLabel="Dismiss" onClose={dismiss} mb="md" title="Could not switch brokers">
            {problem}
          </Alert>
        )}
        {page === 'profiles' && <ProfilesPage data={data} />}
        {page === 'clients' && <ClientsPage />}
        {page === 'health' && <HealthPage data={data} />}
        {page === 'logs' && <LogsPage />}
        {page === 'settings' && <SettingsPage onOpenAbout={openAbout} />}
      </AppShell.Main>
      <Wizard opened={data.info?.firstRun === true} onDone={() => void data.reload()} />
      <AboutDialog opened={aboutOpen} onClose={() => setAboutOpen(false)} />
    </AppShell>
  );
}
