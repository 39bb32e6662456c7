import { Alert, Badge, Button, Code, Group, ScrollArea, SegmentedControl, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useEffect, useState } from 'react';
import type { LogEntry, LogLevel } from '../../../electron/shared/contract';
import { api, errorText } from '../api';

const LEVEL_COLOR: Record<LogEntry['level'], string> = { debug: 'gray', info: 'blue', warn: 'yellow', error: 'red', fatal: 'red' };
const POLL_MS = 2000;

/** Who wrote a line, as a person calls it. */
function sourceWords(source: string): string {
  if (source === 'app') return 'The app';
  if (source === 'stdio-entry') return 'AI app link';
  if (source.includes('server')) return 'MCP server';
  return source;
}

/** MCP requests (rpc) in words. */
const REQUESTS: Record<string, string> = {
  initialize: 'connect',
  'notifications/initialized': 'finish connecting',
  'tools/list': 'list the tools',
  'tools/call': 'use a tool',
  'resources/list': 'list the resources',
  'resources/read': 'read a resource',
  'prompts/list': 'list the prompts',
  'prompts/get': 'get a prompt',
  ping: 'check the server answers',
};

/** Field names in words; the rest are shown as they are, under Details. */
const FIELD_WORDS: Record<string, string> = {
  profile: 'broker profile',
  tool: 'tool',
  outcome: 'result',
  reason: 'why',
  exit: 'how it ended',
  client: 'AI app',
  rpc: 'request',
  ms: 'took',
  broker: 'broker',
  vhost: 'virtual host',
  from: 'from',
  to: 'to',
  safety: 'safety level',
  path: 'file',
  status: 'HTTP status',
  pid: 'process id',
};

/** A field's value in words: "token#1" is the app's own connection key, never the key itself. */
function valueWords(key: string, value: unknown): string {
  if (key === 'ms' && typeof value === 'number') return `${value} ms`;
  if (key === 'client' && typeof value === 'string' && /^token#\d+$/.test(value)) return `connection key ${value.slice(6)}`;
  if (key === 'rpc' && typeof value === 'string')
    return value
      .split(',')
      .map((method) => REQUESTS[method] ?? method)
      .join(', ');
  if (key === 'err' && value && typeof value === 'object' && 'message' in value) return String((value as { message: unknown }).message);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The server's terse messages in words. */
const MESSAGES: Record<string, string> = {
  'tool call': 'An AI app used a tool',
  'http request': 'An AI app sent a request',
  'AMQP connected': 'Connected to the broker (AMQP)',
  'AMQP connection lost': 'Lost the connection to the broker (AMQP)',
  'AMQP connect failed': 'Could not connect to the broker (AMQP)',
  'AMQP connection error': 'The broker connection (AMQP) had an error',
  'serving MCP over HTTP': 'The MCP server is ready for AI apps',
};

/** The value as logged, beside its words when they differ (for a bug report). */
function rawBeside(key: string, value: unknown): string {
  const raw = typeof value === 'string' ? value : JSON.stringify(value);
  return raw === valueWords(key, value) ? '' : ` [${raw}]`;
}

/** The few facts a person wants on the line itself; everything is under Details. */
const HEADLINE_FIELDS = ['profile', 'tool', 'outcome', 'reason', 'exit', 'err', 'rpc'];

function headline(entry: LogEntry): string {
  const facts = HEADLINE_FIELDS.filter((key) => entry.fields[key] !== undefined && entry.fields[key] !== '').map((key) =>
    key === 'err' ? valueWords(key, entry.fields[key]) : `${FIELD_WORDS[key] ?? key}: ${valueWords(key, entry.fields[key])}`,
  );
  const message = MESSAGES[entry.msg] ?? entry.msg;
  return facts.length > 0 ? `${message} (${facts.join('; ')})` : message;
}

/** Every field, for whoever needs them (a bug report): in words, with the raw name beside. */
function EntryDetails({ fields }: { fields: Record<string, unknown> }) {
  const keys = Object.keys(fields);
  if (keys.length === 0) return null;
  return (
    <details>
      <summary style={{ cursor: 'pointer', fontSize: 'var(--mantine-font-size-xs)' }}>Details</summary>
      <Code block fz="xs" mt={4}>
        {keys.map((key) => `${FIELD_WORDS[key] ?? key} (${key}): ${valueWords(key, fields[key])}${rawBeside(key, fields[key])}`).join('\n')}
      </Code>
    </details>
  );
}

const LEVEL_WORDS: Record<LogEntry['level'], string> = { debug: 'Detail', info: 'Info', warn: 'Warning', error: 'Error', fatal: 'Error' };

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
            { value: 'debug', label: 'Details' },
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
                <Table.Th w={120}>From</Table.Th>
                <Table.Th>What happened</Table.Th>
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
                      {LEVEL_WORDS[entry.level]}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{sourceWords(entry.source)}</Table.Td>
                  <Table.Td>
                    <Text size="sm">{headline(entry)}</Text>
                    <EntryDetails fields={entry.fields} />
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
