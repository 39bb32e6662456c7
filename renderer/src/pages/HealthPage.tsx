import { AreaChart, LineChart, type AreaChartProps, type LineChartProps } from '@mantine/charts';
import { Alert, Button, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { ServerState, useServerRestart } from '../components/ServerState';
import type { AppData } from '../components/useAppData';

function Stat({ label, value }: { label: string; value: string | number }) {
  return (
    <Card withBorder padding="md" aria-label={`${label}: ${value}`} data-testid={`stat-${label.toLowerCase().replaceAll(' ', '-')}`}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="xl" fw={700}>
        {value}
      </Text>
    </Card>
  );
}

/** What both charts share, so that they look alike side by side. */
const CHART_LOOK = {
  h: 220,
  dataKey: 'time',
  curveType: 'monotone',
  withDots: false,
  withLegend: true,
} satisfies Partial<LineChartProps & AreaChartProps>;

/** One chart in a card. Screen readers get its latest values in a sentence instead: the drawing is not read out. */
function ChartCard({ title, minutes, now, children }: { title: string; minutes: number; now: string; children: ReactNode }) {
  return (
    <Card withBorder padding="md">
      <Text fw={600} mb="sm">
        {title}
      </Text>
      <div role="img" aria-label={`${title} over the last ${minutes} minutes; now ${now}`}>
        {children}
      </div>
    </Card>
  );
}

const time = (at: string) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const round = (value: number) => Math.round(value * 10) / 10;

/** Is the server up, is the broker well, and how busy is it: the last few minutes at a glance. */
export function HealthPage({ data }: { data: AppData }) {
  const { restart, restarting, problem } = useServerRestart();
  const { server, health } = data;
  const latest = health.at(-1);
  const broker = latest?.broker ?? null;
  const sampled = health.filter((sample) => sample.broker);
  const minutes =
    sampled.length > 1 ? Math.max(1, Math.round((Date.parse(sampled.at(-1)?.at ?? '') - Date.parse(sampled[0]?.at ?? '')) / 60_000)) : 0;
  const points = sampled.map((sample) => ({
    time: time(sample.at),
    Published: round(sample.broker?.publishRate ?? 0),
    Delivered: round(sample.broker?.deliverRate ?? 0),
    Ready: sample.broker?.messagesReady ?? 0,
    Unacked: sample.broker?.messagesUnacked ?? 0,
  }));
  const latestPoint = points.at(-1);
  // The history restarts with each broker: its first sample is when the figures begin.
  const since = health[0]?.at;

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Health</Title>
        <Button variant="default" loading={restarting} onClick={restart} disabled={server.status === 'stopped'}>
          Restart the server
        </Button>
      </Group>
      <ServerState server={server} />
      {problem && <Alert color="red">{problem}</Alert>}
      {latest?.error && !broker && (
        <Alert color="yellow" title="The broker could not be asked">
          {latest.error}
        </Alert>
      )}
      {broker && broker.alarms.length > 0 && (
        <Alert color="red" title="Broker-wide alarms" data-testid="broker-alarms">
          {broker.alarms.join(', ')}: apps publishing messages are blocked in every virtual host until it clears.
        </Alert>
      )}
      {broker && (
        <>
          <Text size="sm" data-testid="health-scope">
            Virtual host (vhost) <b>{broker.vhost}</b> on RabbitMQ {broker.version} (the active profile's; other virtual hosts are not
            counted)
            {since && (
              <>
                , since <time dateTime={since}>{time(since)}</time>
              </>
            )}
          </Text>
          <SimpleGrid cols={{ base: 2, md: 5 }} data-testid="broker-stats">
            <Stat label="Queues" value={broker.queues} />
            <Stat label="Ready" value={broker.messagesReady} />
            <Stat label="Unacked" value={broker.messagesUnacked} />
            <Stat label="Consumers" value={broker.consumers} />
            <Stat label="Connections" value={broker.connections} />
          </SimpleGrid>
        </>
      )}
      {points.length > 1 ? (
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          <ChartCard
            title="Messages per second"
            minutes={minutes}
            now={`${latestPoint?.Published ?? 0} published, ${latestPoint?.Delivered ?? 0} delivered`}
          >
            <LineChart
              {...CHART_LOOK}
              data={points}
              series={[
                { name: 'Published', color: 'orange.6' },
                { name: 'Delivered', color: 'teal.6' },
              ]}
              lineChartProps={{ accessibilityLayer: false }}
            />
          </ChartCard>
          <ChartCard
            title="Messages waiting"
            minutes={minutes}
            now={`${latestPoint?.Ready ?? 0} ready, ${latestPoint?.Unacked ?? 0} unacked`}
          >
            <AreaChart
              {...CHART_LOOK}
              data={points}
              type="stacked"
              series={[
                { name: 'Ready', color: 'blue.6' },
                { name: 'Unacked', color: 'grape.6' },
              ]}
              areaChartProps={{ accessibilityLayer: false }}
            />
          </ChartCard>
        </SimpleGrid>
      ) : (
        <Text c="dimmed">Charts appear after a few samples (one every few seconds while a broker is connected).</Text>
      )}
    </Stack>
  );
}
