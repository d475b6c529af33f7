// Real HTTP traffic through the deployment, and the check that the collector's ruei-mtun holds every byte of it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Netns } from './netns.js';
import type { Web } from './deployment.js';
import { tcpStreams, type TcpHalf } from './tcp-streams.js';
import type { PcapPacket } from '../../../src/diag/pcap-file.js';

let fetchCounter = 0;

/**
 * One curl run fetching `paths` from a web server over one keep-alive connection; checks each body against what
 * nginx serves (so the client saw the right bytes) and returns the number of body bytes received. `curlOptions`: more
 * of curl's options (e.g. --limit-rate).
 */
export async function fetchKeepAlive(client: Netns, web: Web, dir: string, paths: readonly string[], curlOptions: readonly string[] = []): Promise<number> {
  const outputs: string[] = [];
  const argv = ['curl', '-sS', '--fail', '--max-time', '120', ...curlOptions];
  for (const path of paths) {
    const out = join(dir, `fetch-${process.pid}-${++fetchCounter}`);
    outputs.push(out);
    argv.push('-o', out, `http://${web.ip}${path}`);
  }
  await client.run(...argv);
  let bytes = 0;
  for (const [i, path] of paths.entries()) {
    const body = await readFile(outputs[i]!);
    const expected = web.files.get(path)!;
    if (!body.equals(expected)) throw new Error(`${web.name}${path}: the client received ${body.length} bytes that differ from the ${expected.length} served`);
    bytes += body.length;
  }
  return bytes;
}

/** ab with keep-alive: `requests` requests over `concurrency` connections; returns the completed request count. */
export async function loadWithAb(client: Netns, web: Web, path: string, requests: number, concurrency: number): Promise<number> {
  const { stdout } = await client.run('ab', '-q', '-k', '-n', String(requests), '-c', String(concurrency), `http://${web.ip}${path}`);
  const failed = Number(/Failed requests:\s+(\d+)/.exec(stdout)?.[1] ?? 'NaN');
  const complete = Number(/Complete requests:\s+(\d+)/.exec(stdout)?.[1] ?? 'NaN');
  if (failed !== 0 || complete !== requests) throw new Error(`ab against ${web.name}: ${complete} complete, ${failed} failed:\n${stdout}`);
  return complete;
}

export interface StreamComparison {
  /** Half-connections (one direction of one TCP connection) the clients' wires carried. */
  readonly halves: number;
  readonly connections: number;
  /** TCP payload bytes on the clients' wires, and of those, how many ruei-mtun holds identically. */
  readonly clientBytes: number;
  readonly collectorBytes: number;
  /** One line per half-connection that is missing on ruei-mtun or differs from the client's wire. */
  readonly problems: string[];
}

/**
 * Compares every TCP half-connection seen on the clients' own wires (port `port`, optionally to `servers` only) with
 * the same half reassembled from the collector's ruei-mtun capture: byte-identical data, no gaps.
 */
export function compareStreams(clientWires: readonly PcapPacket[][], collector: readonly PcapPacket[], port: number, servers?: readonly string[]): StreamComparison {
  const atCollector = tcpStreams(collector);
  const relevant = (half: TcpHalf) => {
    const [from, to] = half.key.replace(/#\d+$/, '').split('>') as [string, string];
    const server = to.endsWith(`:${port}`) ? to : from.endsWith(`:${port}`) ? from : null;
    return server !== null && (!servers || servers.some((s) => server.startsWith(`${s}:`)));
  };
  const problems: string[] = [];
  let halves = 0;
  let clientBytes = 0;
  let collectorBytes = 0;
  const connections = new Set<string>();
  for (const packets of clientWires) {
    for (const half of tcpStreams(packets).values()) {
      if (!relevant(half)) continue;
      halves++;
      connections.add(`${half.key.replace(/#\d+$/, '').split('>').sort().join('<>')}${/#\d+$/.exec(half.key)?.[0] ?? ''}`);
      clientBytes += half.data.length;
      if (half.gaps > 0) problems.push(`${half.key}: the client's own capture has ${half.gaps} bytes missing (capture too slow?)`);
      const mirrored = atCollector.get(half.key);
      if (!mirrored) {
        problems.push(`${half.key}: ${half.data.length} bytes on the client's wire, connection absent on ruei-mtun`);
        continue;
      }
      if (mirrored.gaps > 0) problems.push(`${half.key}: ${mirrored.gaps} of ${half.data.length} bytes missing on ruei-mtun`);
      else if (!mirrored.data.equals(half.data)) problems.push(`${half.key}: ${mirrored.data.length} bytes on ruei-mtun differ from the ${half.data.length} on the client's wire`);
      else collectorBytes += mirrored.data.length;
    }
  }
  return { halves, connections: connections.size, clientBytes, collectorBytes, problems };
}
