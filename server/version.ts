import packageJson from '../package.json' with { type: 'json' };

export const VERSION: string = packageJson.version;
export const SERVER_NAME = 'rabbitmq-mcp-server';
