// A client fetching a small page every 50 ms (or `pause`) through the mirror while something changes (an upgrade, a reload), with
// the client's own wire and ruei-mtun captured: stop() tells how many pages were fetched and whether every TCP byte
// of the client's wire reached ruei-mtun identically (compareStreams).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnStream } from '../../../src/kernel/exec.js';
import { startCapture } from './capture.js';
import { compareStreams, type StreamComparison } from './traffic.js';
import type { Netns } from './netns.js';

export interface FetchLoop {
  stop(): Promise<{ requests: number; comparison: StreamComparison }>;
}

/** `pause`: seconds between fetches (default 0.05); a long change (an Ansible run) pauses longer, to leave it CPU. */
export async function startFetchLoop(client: Netns, collector: Netns, server: string, dir: string, name: string, pause = 0.05): Promise<FetchLoop> {
  const clientWire = await startCapture(client, 'eth0', join(dir, `${name}-client.pcap`), ['tcp', 'port', '80']);
  const mirrored = await startCapture(collector, 'ruei-mtun', join(dir, `${name}-mtun.pcap`), ['tcp', 'port', '80']);
  const stopFile = join(dir, `${name}-stop`);
  const fetching = spawnStream(client.argv('sh', '-c',
    `n=0; while [ ! -e "$0" ]; do curl -sS --fail --max-time 30 -o /dev/null http://${server}/small.txt && n=$((n+1)); sleep $1; done; echo $n`, stopFile, String(pause)));
  let fetched = '';
  fetching.stdout!.on('data', (b: Buffer) => (fetched += b.toString()));
  const done = new Promise((resolve) => fetching.on('exit', resolve));
  await new Promise((r) => setTimeout(r, 2000)); // pages are flowing before the change
  return {
    async stop() {
      await new Promise((r) => setTimeout(r, 2000)); // and after it
      await writeFile(stopFile, '');
      await done;
      const comparison = compareStreams([(await clientWire.stop()).packets], (await mirrored.stop()).packets, 80);
      return { requests: Number(fetched.trim()), comparison };
    },
  };
}
