import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename } from 'node:path';
import type { ServerConfig } from '../../config/load-config.js';
import { settings } from '../../config/settings.js';

/** Under Docker's HEALTHCHECK --timeout (2 s), so the answer is ours rather than Docker's kill. */
const TIMEOUT_MS = 1800;

/** Where a client on this machine reaches the listener: a wildcard address means loopback. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host.replace(/^\[(.*)\]$/, '$1');
}

/**
 * The server's own command-line options when it runs as PID 1 of a container (Docker's
 * HEALTHCHECK and Kubernetes' exec probes run beside it with the same environment but not its
 * arguments): `docker run image --port 9000` must be checked on 9000. Empty elsewhere.
 */
export function containerServerArgs(entry = process.argv[1] ?? '', readCmdline = () => readFileSync('/proc/1/cmdline', 'utf8')): string[] {
  if (process.platform !== 'linux' || process.pid === 1) return [];
  let argv: string[];
  try {
    argv = readCmdline().split('\0').filter(Boolean);
  } catch {
    return [];
  }
  const script = argv.findIndex((arg) => basename(arg) === basename(entry));
  if (script === -1) return [];
  return argv.slice(script + 1).filter((arg) => arg !== '--health-check');
}

/**
 * `rabbitmq-mcp-server --health-check`: asks the HTTP server this configuration describes (its
 * host, port and TLS) for /mcp/health and says in one line what it answered. The container's
 * HEALTHCHECK, so the check follows the port and TLS actually configured.
 */
export async function checkHealth(config: ServerConfig): Promise<{ healthy: boolean; line: string }> {
  if (config.transport !== 'http') {
    return {
      healthy: false,
      line: `${settings.transport.env} is stdio: only the HTTP transport has a health endpoint (set ${settings.transport.env}=http)`,
    };
  }
  const { http } = config;
  const host = reachableHost(http.host);
  const url = `${http.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${http.port}/mcp/health`;
  return new Promise((resolve) => {
    // The server's certificate names the host clients use, not the loopback address this check
    // dials on the same machine, so it is not verified here: the check proves the listener
    // answers with TLS, which is what it is for.
    const options = { method: 'GET', timeout: TIMEOUT_MS, rejectUnauthorized: false, headers: { accept: 'application/json' } };
    const started = (http.tls ? httpsRequest : httpRequest)(url, options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        let status = '';
        try {
          status = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { status?: unknown }).status ?? '');
        } catch {
          status = 'no health report';
        }
        const healthy = response.statusCode === 200;
        resolve({ healthy, line: `${url}: ${response.statusCode} ${status}`.trim() });
      });
    });
    started.on('timeout', () => started.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    started.on('error', (error) => resolve({ healthy: false, line: `${url}: ${error.message}` }));
    started.end();
  });
}
