// The load a web server really carries, for the mirror-completeness tests and the benchmark: many small requests
// (keep-alive and not, concurrency 1 to 100, bodies of 100 bytes to 10 kB), POSTs, and a few big downloads at once.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Netns } from './netns.js';

/** The files the load fetches, by URL path; written into nginx's web root by writeLoadFiles. */
export function loadFiles(): Map<string, Buffer> {
  return new Map([
    ['/tiny.html', Buffer.from(`<p>${'t'.repeat(93)}</p>\n`)], // 100 bytes
    ['/page.html', randomBytes(1024)],
    ['/10k.html', randomBytes(10 * 1024)],
    ['/100k.bin', randomBytes(100 * 1024)],
    ['/2m.bin', randomBytes(2 * 1024 * 1024)],
  ]);
}

export async function writeLoadFiles(www: string, dir: string): Promise<void> {
  for (const [path, data] of loadFiles()) await writeFile(join(www, path.slice(1)), data);
  await writeFile(join(dir, 'post-body.bin'), randomBytes(5000));
}

export interface LoadResult {
  /** Requests the clients completed (ab's own count, curl's successes). */
  readonly requests: number;
}

async function ab(client: Netns, args: string[], url: string): Promise<number> {
  const { stdout } = await client.run('ab', '-q', '-r', '-s', '60', ...args, url);
  const failed = Number(/Failed requests:\s+(\d+)/.exec(stdout)?.[1] ?? 'NaN');
  const complete = Number(/Complete requests:\s+(\d+)/.exec(stdout)?.[1] ?? 'NaN');
  const non2xx = Number(/Non-2xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? '0');
  if (failed !== 0 || non2xx !== 0 || !Number.isFinite(complete)) throw new Error(`ab ${args.join(' ')} ${url}: ${complete} complete, ${failed} failed, ${non2xx} non-2xx:\n${stdout}`);
  return complete;
}

/**
 * Runs the mixed load from `client` against http://server all at once (so frames of many connections are mirrored on
 * every CPU together). `scale` multiplies the request counts (1: about 2900 requests and 38 MB of payload).
 */
export async function mixedWebLoad(client: Netns, server: string, dir: string, scale = 1): Promise<LoadResult> {
  const n = (count: number) => String(Math.max(1, Math.round(count * scale)));
  const base = `http://${server}`;
  const big = loadFiles().get('/2m.bin')!.length;
  const downloads = [1, 2, 3].map(async (i) => {
    const out = join(dir, `load-2m-${i}`);
    await client.run('curl', '-sS', '--fail', '--max-time', '300', '-o', out, `${base}/2m.bin`);
    if ((await readFile(out)).length !== big) throw new Error(`download ${i} of /2m.bin is incomplete`);
    return 1;
  });
  const counts = await Promise.all([
    ab(client, ['-k', '-n', n(2000), '-c', '10'], `${base}/page.html`), // keep-alive, small page
    ab(client, ['-k', '-n', n(300), '-c', '1'], `${base}/tiny.html`), // one keep-alive connection, 100-byte body
    ab(client, ['-n', n(200), '-c', '100'], `${base}/10k.html`), // a new connection per request, concurrency 100
    ab(client, ['-n', n(300), '-c', '5'], `${base}/100k.bin`),
    ab(client, ['-n', n(50), '-c', '5', '-p', join(dir, 'post-body.bin'), '-T', 'application/octet-stream'], `${base}/upload`),
    ...downloads,
  ]);
  return { requests: counts.reduce((a, b) => a + b, 0) };
}
