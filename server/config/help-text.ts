import { type Setting, settings } from './settings.js';

const SECTIONS: Setting['section'][] = ['Server', 'HTTP transport', 'Safety', 'AMQP', 'Management API', 'Operations'];

export function helpText(version: string): string {
  const lines = [
    `rabbitmq-mcp-server ${version}: a Model Context Protocol server for RabbitMQ`,
    '',
    'Usage: rabbitmq-mcp-server [options]',
    '       rabbitmq-mcp-server create-user --name <user> [options]   the least-privilege broker user for a scope (create-user --help)',
    '',
    'Every option is also an environment variable (shown in brackets); options win.',
    'Read-only by default: --allow-write unlocks creating and publishing,',
    '--allow-destructive unlocks delete, purge, close and consume.',
  ];
  const all = Object.values(settings) as Setting[];
  for (const section of SECTIONS) {
    lines.push('', `${section}:`);
    for (const definition of all.filter((s) => s.section === section)) {
      const name = definition.flag ? `--${definition.flag}${definition.switch ? '' : ' <value>'}` : '(env only)';
      lines.push(`  ${name.padEnd(28)} [${definition.env}] ${definition.help} Default: ${definition.defaultText}.`);
    }
  }
  lines.push(
    '',
    '  --health-check               Ask the HTTP server these options describe for /mcp/health: exit 0 if healthy.',
    '  --help, -h                   Show this help.',
    '  --version, -v                Print the version.',
  );
  return `${lines.join('\n')}\n`;
}
