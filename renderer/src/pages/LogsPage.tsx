import { Alert, Badge, Button, Code, Group, ScrollArea, SegmentedControl, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useEffect, useState } from 'react';
import type { LogEntry, LogLevel } from '../../../electron/shared/contract';
import { api, errorText } from '../api';

const LEVEL_COLOR: Record<LogEntry['level'], string> = { debug: 'gray', info: 'blue', warn: 'yellow', error: 'red', fatal: 'red' };
const POLL_MS = 2000;

function fieldsText(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}

/** The app's and the server's logs, newest first, filtered as you type; refreshed every 2 s. */
export function LogsPage() {
  const [level, setLevel] = useState<LogLevel>('info');
  const [search, setSearch] = useState('');
  const [query] = useDebouncedValue(search, 250);
  const [entries, setEntries] = useState<LogEntry[]>([]);
  const [notice, setNotice] = useState<{ message: string; ok: boolean } | null>(null);

  useEffect(() => {
    let live = true;
    const load = () =>
      api.logs.tail({ level, search: query || undefined, limit: 500 }).then(
        (next) => live && setEntries([...next].reverse()),
        (error) => live && setNotice({ message: errorText(error), ok: false }),
      );
    void load();
    const timer = setInterval(load, POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [level, query]);

  const exportLogs = async () => {
    try {
      const saved = await api.logs.export({ level, search: query || undefined, limit: 5000 });
      if (saved) setNotice({ message: `Saved ${saved.count} entries to ${saved.path}`, ok: true });
    } catch (error) {
      setNotice({ message: errorText(error), ok: false });
    }
  };

  return (
    <Stack h="100%">
      <Group justify="space-between">
        <Title order={2}>Logs</Title>
        <Button variant="default" onClick={exportLogs}>
          Export…
        </Button>
      </Group>
      <Group align="flex-end">
        <SegmentedControl
          aria-label="Lowest level shown"
          value={level}
          onChange={(value) => setLevel(value as LogLevel)}
          data={[
            { value: 'debug', label: 'Debug' },
            { value: 'info', label: 'Info' },
            { value: 'warn', label: 'Warnings' },
            { value: 'error', label: 'Errors' },
          ]}
        />
        <TextInput
          label="Search"
          placeholder="queue name, tool, error…"
          value={search}
          onChange={(event) => setSearch(event.currentTarget.value)}
          flex={1}
        />
      </Group>
      {notice && (
        <Alert color={notice.ok ? 'green' : 'red'} withCloseButton closeButtonLabel="Dismiss" onClose={() => setNotice(null)} role="status">
          {notice.message}
        </Alert>
      )}
      {entries.length === 0 ? (
        <Text c="dimmed">No log entries match.</Text>
      ) : (
        <ScrollArea.Autosize mah="calc(100vh - 260px)" viewportProps={{ tabIndex: 0, 'aria-label': 'Log entries' }}>
          <Table striped verticalSpacing={4} fz="sm" data-testid="log-table" stickyHeader>
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={190}>Time</Table.Th>
                <Table.Th w={80}>Level</Table.Th>
                <Table.Th w={110}>Source</Table.Th>
                <Table.Th>Message</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {entries.map((entry, index) => (
                <Table.Tr key={`${entry.time}-${index}`}>
                  <Table.Td>
                    <Text size="xs" ff="monospace">
                      {new Date(entry.time).toLocaleString()}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge size="sm" variant="light" color={LEVEL_COLOR[entry.level]}>
                      {entry.level}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{entry.source}</Table.Td>
                  <Table.Td>
                    <Text size="sm">{entry.msg}</Text>
                    {Object.keys(entry.fields).length > 0 && <Code fz="xs">{fieldsText(entry.fields)}</Code>}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea.Autosize>
      )}
    </Stack>
  );
}
