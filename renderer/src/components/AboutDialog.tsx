import { Alert, Button, Group, Loader, Modal, ScrollArea, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { AboutInfo, AboutLink } from '../../../electron/shared/contract';
import { api, errorText } from '../api';

/** Opens the About box when the tray's "About" asks, also when the window was only opening then. */
export function useAboutRequests(open: () => void): void {
  useEffect(() => {
    const take = () =>
      void api.about.takeRequest().then(
        (asked) => asked && open(),
        () => undefined,
      );
    take();
    return api.events.on('about-requested', take);
  }, [open]);
}

/**
 * The About box: the app's version and Electron's, Node's and Chrome's, links to the docs and
 * the issue tracker (opened in the browser), and the licences of everything that ships in the
 * app, each with its full text.
 */
export function AboutDialog({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const [about, setAbout] = useState<AboutInfo | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    if (!opened || about) return;
    api.about.info().then(setAbout, (error) => setProblem(errorText(error)));
  }, [opened, about]);

  const open = (link: AboutLink) => api.about.openLink(link).catch((error) => setProblem(errorText(error)));

  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title="About RabbitMQ MCP"
      size="lg"
      centered
      closeButtonProps={{ 'aria-label': 'Close About' }}
    >
      {!about && !problem && <Loader size="sm" aria-label="Loading" />}
      {problem && (
        <Alert color="red" role="alert" mb="sm">
          {problem}
        </Alert>
      )}
      {about && (
        <Stack gap="sm">
          <Text data-testid="about-version">
            {about.name} {about.version}
          </Text>
          <Text size="sm" c="dimmed" data-testid="about-versions">
            Electron {about.versions.electron} · Node.js {about.versions.node} · Chrome {about.versions.chrome}
          </Text>
          <Group>
            <Button variant="default" onClick={() => void open('docs')} disabled={!about.links.docs}>
              Documentation
            </Button>
            <Button variant="default" onClick={() => void open('issues')} disabled={!about.links.issues}>
              Report a problem
            </Button>
          </Group>
          <Title order={3} size="h5">
            Open-source software in this app
          </Title>
          <Text size="sm" c="dimmed">
            RabbitMQ MCP is built from these {about.licences.length} packages. Open one to read its licence.
          </Text>
          <ScrollArea.Autosize mah={320} type="auto" data-testid="licence-list">
            <Table striped={false} withRowBorders>
              <Table.Tbody>
                {about.licences.map((entry) => (
                  <Table.Tr key={`${entry.name}@${entry.version}`}>
                    <Table.Td>
                      <details>
                        <summary>
                          <Text span size="sm" fw={500}>
                            {entry.name} {entry.version}
                          </Text>{' '}
                          <Text span size="sm" c="dimmed">
                            ({entry.license})
                          </Text>
                        </summary>
                        <Text component="pre" size="xs" style={{ whiteSpace: 'pre-wrap' }} mt="xs">
                          {entry.text || `Licensed under ${entry.license}; the package ships no licence file.`}
                        </Text>
                      </details>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollArea.Autosize>
        </Stack>
      )}
    </Modal>
  );
}
