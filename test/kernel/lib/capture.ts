// tcpdump captures inside a test namespace: started and confirmed listening before traffic flows, read back as pcap.
import { readFile } from 'node:fs/promises';
import { spawnStream } from '../../../src/kernel/exec.js';
import { readPcap, type PcapFile } from '../../../src/diag/pcap-file.js';
import type { Netns } from './netns.js';

export interface Capture {
  /** Stops tcpdump (SIGINT, so it flushes) and returns the packets it wrote. */
  stop(): Promise<PcapFile>;
}

/**
 * Starts `tcpdump -i dev -w file filter` in ns and resolves once tcpdump says it is listening, so no frame sent
 * afterwards is missed. -s 0 keeps whole frames (jumbo and 64000-byte ones too); -B raises the buffer for bursts.
 */
export async function startCapture(ns: Netns, dev: string, file: string, filter: string[] = []): Promise<Capture> {
  const child = spawnStream(ns.argv('tcpdump', '-Z', 'root', '-i', dev, '-n', '-s', '0', '-B', '16384', '-U', '--immediate-mode', '-w', file, ...filter));
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
      await new Promise((resolve) => setTimeout(resolve, 300));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT');
      await exited;
      return readPcap(await readFile(file));
    },
  };
}
