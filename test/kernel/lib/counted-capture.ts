// A tcpdump capture that also reports what tcpdump itself lost ("N packets dropped by kernel"), so a byte comparison
// that fails can be told apart from a capture that could not keep up (the emulated lab CPU is slow).
import { readFile } from 'node:fs/promises';
import { spawnStream } from '../../../src/kernel/exec.js';
import { readPcap, type PcapFile } from '../../../src/diag/pcap-file.js';
import type { Netns } from './netns.js';

export interface CountedCapture {
  stop(): Promise<PcapFile & { droppedByKernel: number }>;
}

/** Like lib/capture.ts, with a 64 MB buffer and tcpdump's drop counter read from its exit summary. */
export async function startCountedCapture(ns: Netns, dev: string, file: string, filter: string[] = []): Promise<CountedCapture> {
  const child = spawnStream(ns.argv('tcpdump', '-Z', 'root', '-i', dev, '-n', '-s', '0', '-B', '65536', '--immediate-mode', '-w', file, ...filter));
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (stderr.includes('listening on')) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
    child.on('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`tcpdump on ${ns.name}/${dev} exited with ${code}: ${stderr.trim()}`));
    });
  });
  return {
    async stop() {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT');
      await exited;
      const dropped = /(\d+) packets? dropped by kernel/.exec(stderr);
      return { ...readPcap(await readFile(file)), droppedByKernel: dropped ? Number(dropped[1]) : -1 };
    },
  };
}
