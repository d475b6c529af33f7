// A client fetching a small page every 50 ms (or `pause`) through the mirror while something changes (an upgrade, a reload,
// a web server moving to another collector), with the client's own wire and ruei-mtun captured (on one collector or
// several): stop() tells how many pages were fetched, whether every TCP byte of the client's wire reached ruei-mtun
// identically (compareStreams), and the longest time the mirror was out.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnStream } from '../../../src/kernel/exec.js';
import type { PcapPacket } from '../../../src/diag/pcap-file.js';
import { startCapture } from './capture.js';
import { compareStreams, type StreamComparison } from './traffic.js';
import { parseTcp } from './tcp-streams.js';
import type { Netns } from './netns.js';

export interface FetchLoop {
  stop(): Promise<{
    requests: number;
    comparison: StreamComparison;
    /** Seconds (the client's clock) from the last mirrored frame before the longest run of unmirrored ones to the next. */
    outageSeconds: number;
    /** How many of the server's frames each collector's ruei-mtun carried, in the order the collectors were given. */
    framesPerCollector: number[];
  }>;
}

const time = (p: PcapPacket) => p.seconds + p.micros / 1e6;

/** A TCP frame's identity across captures (not its bytes: a checksum left to offload may differ between them). */
function frameKey(p: PcapPacket): string | null {
  const tcp = parseTcp(p.data);
  return tcp && `${tcp.src}:${tcp.sport}>${tcp.dst}:${tcp.dport} ${tcp.seq} ${tcp.flags} ${tcp.payload.length}`;
}

/** The longest stretch of the client's frames (of `server`) without any of them on ruei-mtun, in seconds. */
export function mirrorOutage(clientWire: readonly PcapPacket[], mirrored: readonly PcapPacket[], server: string): number {
  const seen = new Set(mirrored.map(frameKey));
  const ours = clientWire.filter((p) => { const tcp = parseTcp(p.data); return tcp !== null && (tcp.src === server || tcp.dst === server); });
  let lastMirrored: number | null = null;
  let missing = false;
  let longest = 0;
  for (const p of [...ours].sort((a, b) => time(a) - time(b))) {
    if (!seen.has(frameKey(p))) {
      missing = true;
      continue;
    }
    if (missing) longest = Math.max(longest, time(p) - (lastMirrored ?? time(ours[0]!)));
    lastMirrored = time(p);
    missing = false;
  }
  if (missing && ours.length > 0) longest = Math.max(longest, time(ours[ours.length - 1]!) - (lastMirrored ?? time(ours[0]!)));
  return longest;
}

/** `pause`: seconds between fetches (default 0.05); a long change (an Ansible run) pauses longer, to leave it CPU. */
export async function startFetchLoop(client: Netns, collectors: Netns | readonly Netns[], server: string, dir: string, name: string, pause = 0.05): Promise<FetchLoop> {
  const clientWire = await startCapture(client, 'eth0', join(dir, `${name}-client.pcap`), ['tcp', 'port', '80', 'and', 'host', server]);
  const all = Array.isArray(collectors) ? collectors : [collectors as Netns];
  const mirrored = await Promise.all(all.map((c, i) => startCapture(c, 'ruei-mtun', join(dir, `${name}-mtun${i}.pcap`), ['tcp', 'port', '80', 'and', 'host', server])));
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
      const wire = (await clientWire.stop()).packets;
      const perCollector = await Promise.all(mirrored.map(async (capture) => (await capture.stop()).packets));
      const atCollectors = perCollector.flat().sort((a, b) => time(a) - time(b));
      return {
        requests: Number(fetched.trim()),
        comparison: compareStreams([wire], atCollectors, 80, [server]),
        outageSeconds: mirrorOutage(wire, atCollectors, server),
        framesPerCollector: perCollector.map((packets) => packets.length),
      };
    },
  };
}
