// nginx inside a test namespace: config, pid and logs under a test directory; killed with the namespace.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnStream } from '../../../src/kernel/exec.js';
import type { Netns } from './netns.js';

/**
 * Starts nginx on :80 and :8080 (IPv4 and IPv6) serving `www`, and waits until it answers. `workers` > 1 sends from
 * several CPUs at once, as a production web server does (the mirror must keep each connection's order then too).
 */
export async function startNginx(ns: Netns, dir: string, www: string, workers = 1): Promise<void> {
  const conf = join(dir, 'nginx.conf');
  const temp = (name: string) => `${name} ${join(dir, `nginx-${name}`)};`;
  await writeFile(conf, `user root;
worker_processes ${workers};
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'nginx-error.log')};
events { worker_connections 256; }
http {
  log_format withport '$remote_addr:$remote_port "$request" $status $body_bytes_sent';
  access_log ${join(dir, 'nginx-access.log')} withport;
  keepalive_requests 1000;
  ${temp('client_body_temp_path')} ${temp('proxy_temp_path')} ${temp('fastcgi_temp_path')} ${temp('uwsgi_temp_path')} ${temp('scgi_temp_path')}
  server {
    listen 80; listen [::]:80; listen 8080; listen [::]:8080;
    root ${www};
    location = /upload { client_max_body_size 10m; return 200 "uploaded\\n"; }
  }
}
`);
  const child = spawnStream(ns.argv('nginx', '-c', conf, '-g', 'daemon off;'));
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  for (let i = 0; i < 100; i++) {
    const probe = await ns.probe('curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:80/');
    if (probe.stdout === '200' || probe.stdout === '403' || probe.stdout === '404') return;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nginx did not start in ${ns.name}: ${stderr}`);
}
