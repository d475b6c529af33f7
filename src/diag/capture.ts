// Feeds frames to an analyzer from a live tcpdump capture (stopped by time or packet count) or from a pcap file.
import type { ChildProcess } from 'node:child_process';
import { spawnStream } from '../kernel/exec.js';
import { parsePcapFile, parsePcapReadable, PcapFormatError, PcapStreamParser } from './pcap-stream.js';
import { isSupportedLinkType } from './frame.js';

/** An analyzer: told the link type once, then handed every frame; returns true for frames that match its filter. */
export interface FrameSink {
  setLinkType(linkType: number): void;
  add(buf: Buffer, offset: number, caplen: number): boolean;
}

/** A capture that could not run or be read; the message is meant for the user as it is. */
export class CaptureError extends Error {
  /** True when the capture failed for want of privilege (CAP_NET_RAW): a missing prerequisite, exit status 4. */
  readonly needsRoot: boolean;
  constructor(message: string, needsRoot = false) {
    super(message);
    this.name = 'CaptureError';
    this.needsRoot = needsRoot;
  }
}

export interface CaptureResult {
  readonly linkType: number;
  /** Frames read (before the analyzer's own filter). */
  readonly records: number;
  /** Frames the analyzer matched. */
  readonly matched: number;
  /** Why the capture ended: the time limit, the packet limit, Ctrl-C, or the end of the file / of tcpdump. */
  readonly stoppedBy: 'time' | 'packets' | 'interrupt' | 'end';
  /** Bytes of an incomplete last record (a file cut short). */
  readonly truncatedBytes: number;
}

export interface LiveCaptureOptions {
  readonly interface: string;
  /** A pcap filter expression; the analyzer applies the same test, so a file with other packets gives the same answer. */
  readonly filter: string;
  /** 0 (or less): until stopped by the packet limit, the signal or the end of tcpdump. */
  readonly seconds: number;
  /** Stop after this many matching frames; 0 for no limit. */
  readonly maxPackets: number;
  /** Capture only frames arriving at the interface (tcpdump -Q in). */
  readonly inboundOnly?: boolean;
  /** Placed before the tcpdump argv (tests: ip netns exec NS). */
  readonly argvPrefix?: readonly string[];
  /** Aborting it ends the capture like Ctrl-C (a long-running monitor stops this way). */
  readonly signal?: AbortSignal;
  /** Snapshot length; default SNAPLEN (headers only). */
  readonly snaplen?: number;
  /** Called once tcpdump is listening (tests start their traffic then). */
  readonly onListening?: () => void;
}

// Headers only: Linux cooked v2 (20) + two VLAN tags (8) + IPv6 with some extension headers + TCP's first 14 bytes.
export const SNAPLEN = 192;
// tcpdump prints "listening on" once the socket is open; under emulation that can take a few seconds.
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

class Counter {
  matched = 0;
  constructor(
    readonly sink: FrameSink,
    readonly maxPackets: number,
    readonly onLimit: () => void,
  ) {}

  parser(): PcapStreamParser {
    const sink = this.sink;
    const parser: PcapStreamParser = new PcapStreamParser(
      (buf, offset, caplen) => {
        if (!sink.add(buf, offset, caplen)) return;
        if (++this.matched === this.maxPackets) {
          parser.stop();
          this.onLimit();
        }
      },
      (p) => {
        if (!isSupportedLinkType(p.linkType)) {
          throw new CaptureError(`link type ${p.linkType} is not supported (Ethernet, Linux cooked v1/v2 and raw IP are)`);
        }
        sink.setLinkType(p.linkType);
      },
    );
    return parser;
  }
}

/** Analyzes a classic pcap file in constant memory; maxPackets 0 reads it all. */
export async function readCaptureFile(path: string, sink: FrameSink, maxPackets = 0): Promise<CaptureResult> {
  let stoppedBy: CaptureResult['stoppedBy'] = 'end';
  const counter = new Counter(sink, maxPackets, () => (stoppedBy = 'packets'));
  const parser = counter.parser();
  try {
    const summary = await parsePcapFile(path, parser);
    return { ...summary, matched: counter.matched, stoppedBy };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new CaptureError(`cannot read ${path}: no such file`);
    if (e.code === 'EACCES') throw new CaptureError(`cannot read ${path}: permission denied`);
    if (e.code === 'EISDIR') throw new CaptureError(`cannot read ${path}: it is a directory, not a pcap file`);
    if (error instanceof PcapFormatError) throw new CaptureError(`${path}: ${e.message}`);
    throw error;
  }
}

/** The tcpdump argv for a live capture: pcap to stdout, one packet at a time, headers only. */
export function tcpdumpArgv(options: LiveCaptureOptions): string[] {
  return [
    ...(options.argvPrefix ?? []),
    'tcpdump', '-i', options.interface, '-w', '-', '-U', '--immediate-mode', '-n', '-s', String(options.snaplen ?? SNAPLEN),
    ...(options.inboundOnly ? ['-Q', 'in'] : []),
    ...(options.maxPackets > 0 ? ['-c', String(options.maxPackets)] : []),
    options.filter,
  ];
}

/** Runs tcpdump until the time or packet limit (whichever comes first), analyzing frames as they arrive. */
export async function captureLive(options: LiveCaptureOptions, sink: FrameSink): Promise<CaptureResult> {
  // An object, not a let: TypeScript would narrow a let to 'end' across the callbacks that change it.
  const state: { stoppedBy: CaptureResult['stoppedBy'] } = { stoppedBy: 'end' };
  let child: ChildProcess;
  const stop = (why: 'time' | 'packets' | 'interrupt') => {
    if (state.stoppedBy !== 'end') return;
    state.stoppedBy = why;
    child.kill('SIGINT'); // tcpdump flushes and exits 0 on SIGINT
    setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), STOP_GRACE_MS).unref();
  };
  const counter = new Counter(sink, options.maxPackets, () => stop('packets'));
  const parser = counter.parser();
  child = spawnStream(tcpdumpArgv(options));
  // Ctrl-C ends the capture early, as it ends tcpdump, and the frames seen so far are still reported.
  const onInterrupt = () => stop('interrupt');
  process.on('SIGINT', onInterrupt);
  options.signal?.addEventListener('abort', onInterrupt, { once: true });
  let stderr = '';
  let listening = false;
  let spawnError: NodeJS.ErrnoException | null = null;
  let timer: NodeJS.Timeout | undefined;
  const startTimer = setTimeout(() => {
    stderr += `\n(no "listening on" from tcpdump within ${START_TIMEOUT_MS / 1000}s)`;
    child.kill('SIGKILL');
  }, START_TIMEOUT_MS);
  child.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString();
    if (!listening && /listening on/.test(stderr)) {
      listening = true;
      clearTimeout(startTimer);
      if (options.seconds > 0) timer = setTimeout(() => stop('time'), options.seconds * 1000);
      options.onListening?.();
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
      resolve({ code: null, signal: null });
    });
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  let parseError: unknown = null;
  let summary = { linkType: -1, records: 0, truncatedBytes: 0 };
  try {
    summary = await parsePcapReadable(child.stdout!, parser);
  } catch (error) {
    parseError = error;
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  const { code, signal } = await exited;
  process.off('SIGINT', onInterrupt);
  options.signal?.removeEventListener('abort', onInterrupt);
  clearTimeout(startTimer);
  clearTimeout(timer);
  const failure = () => new CaptureError(explainTcpdumpFailure(options.interface, stderr, code ?? (signal ? 128 : 1)), PERMISSION.test(stderr));
  if (spawnError) throw new CaptureError(explainSpawnError(spawnError));
  if (!listening && state.stoppedBy === 'interrupt') throw new CaptureError('interrupted before the capture started');
  if (!listening) throw failure();
  // A parse error comes first: it is why tcpdump was killed.
  if (parseError instanceof CaptureError) throw parseError;
  if (parseError instanceof PcapFormatError) throw new CaptureError(`tcpdump's output could not be read: ${parseError.message}`);
  if (parseError) throw parseError;
  if (state.stoppedBy === 'end' && code !== 0) throw failure();
  if (state.stoppedBy === 'end' && options.maxPackets > 0) state.stoppedBy = 'packets'; // tcpdump -c ended it before our count did
  return { ...summary, matched: counter.matched, stoppedBy: state.stoppedBy };
}

function explainSpawnError(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') return 'tcpdump is not installed: install the tcpdump package (apt-get install tcpdump, or dnf install tcpdump)';
  if (error.code === 'EACCES') return 'tcpdump cannot be executed (permission denied): check its file mode';
  return `tcpdump could not be started: ${error.message}`;
}

const PERMISSION = /permission|Operation not permitted/i;

/** Turns tcpdump's own error text into what the user should do. */
export function explainTcpdumpFailure(iface: string, stderr: string, code: number): string {
  const text = stderr.trim();
  if (/No such device|no such interface|There is no device|doesn't exist/i.test(text)) {
    return `interface '${iface}' does not exist: check the name with "ip link" (is the tunnel service started?), or pass --interface`;
  }
  if (/not up|is down/i.test(text)) return `interface '${iface}' is down: bring it up (ip link set ${iface} up) or start the tunnel service`;
  if (PERMISSION.test(text)) {
    return `capturing on '${iface}' needs root (CAP_NET_RAW): run the command as root or with sudo`;
  }
  if (/syntax error|can't parse filter|expression rejects all packets/i.test(text)) {
    return `tcpdump rejected the capture filter: ${lastLines(text)}`;
  }
  return `tcpdump failed on '${iface}' (exit ${code})${text ? `: ${lastLines(text)}` : ''}`;
}

function lastLines(text: string): string {
  return text.split('\n').filter((l) => !/^tcpdump: listening on|verbose output suppressed/.test(l)).slice(-3).join(' | ');
}
