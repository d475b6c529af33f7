// tcpdump captures inside a test namespace: started and confirmed listening before traffic flows, read back as pcap,
// with tcpdump's own loss count ("N packets dropped by kernel"), so a byte comparison that fails can be told apart
// from a capture that could not keep up (the emulated lab CPU is slow).
import { readFile } from 'node:fs/promises';
import { spawnStream } from '../../../src/kernel/exec.js';
import { readPcap, type PcapFile } from '../../../src/diag/pcap-file.js';
import type { Netns } from './netns.js';

export interface Capture {
  /** Stops tcpdump (SIGINT, so it flushes) and returns the packets it wrote and what it dropped (-1: unknown). */
  stop(): Promise<PcapFile & { droppedByKernel: number }>;
}

/**
 * Starts `tcpdump -i dev -w file filter` in ns and resolves once tcpdump says it is listening, so no frame sent
 * afterwards is missed. -s 0 keeps whole frames (jumbo and 64000-byte ones too); -B 64 MB absorbs bursts, but in
 * immediate mode libpcap's ring has one slot of the snap length per frame: on a 64000-MTU interface that is only
 * about 1000 frames, so a capture of frames known to be small passes a smaller `snaplen` (a longer frame then shows
 * up truncated, never silently);
 * --immediate-mode hands each packet over at once; -Z root lets it write into the test's private directory.
 */
export async function startCapture(ns: Netns, dev: string, file: string, filter: string[] = [], snaplen = 0): Promise<Capture> {
  const child = spawnStream(ns.argv('tcpdump', '-Z', 'root', '-i', dev, '-n', '-s', String(snaplen), '-B', '65536', '--immediate-mode', '-U', '-w', file, ...filter));
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tcpdump on ${ns.name}/${dev} did not start within 20s: ${stderr}`)), 20_000);
    child.stderr!.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (stderr.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tcpdump on ${ns.name}/${dev} exited with ${code}: ${stderr.trim()}`));
    });
  });
  return {
    async stop() {
      // SIGINT ends tcpdump's loop without draining its socket: give frames already on the wire time to be read.
      await new Promise((resolve) => setTimeout(resolve, 500));
      // tcpdump may have ended already (its interface was deleted): then there is no exit to wait for.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGINT');
        await exited;
      }
      const dropped = /(\d+) packets? dropped by kernel/.exec(stderr);
      return { ...readPcap(await readFile(file)), droppedByKernel: dropped ? Number(dropped[1]) : -1 };
    },
  };
}
