import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitForPort } from './ports.js';

/**
 * nginx run by a test, with everything it writes under `prefix`: the `http` block's contents are
 * the test's (an upstream and a server, or an include of a deploy file). Resolves once `port`
 * accepts connections.
 */
export async function startNginx(prefix: string, http: string, port: number): Promise<ChildProcess> {
  const nginx = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).stdout.trim();
  if (!nginx) throw new Error('nginx is not installed: apt-get install nginx-light (.ci/run installs it)');
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log notice;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  ${http}
}
`,
  );
  const server = spawn(nginx, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
  if (!(await waitForPort(port, 10))) {
    server.kill('SIGKILL');
    throw new Error(`nginx did not listen on ${port} within 10 s; see ${prefix}/error.log`);
  }
  return server;
}
