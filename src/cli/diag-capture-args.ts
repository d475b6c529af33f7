// Capture flags shared by the diag commands: --interface, --time, --max-packets, --read, checked before anything runs.
import { numberFlag, stringFlag, UsageError, type ParsedArgs } from './args.js';
import { CaptureError, captureLive, readCaptureFile, type CaptureResult, type FrameSink } from '../diag/capture.js';
import { UserError } from './main.js';

export interface CaptureRequest {
  /** Set for a live capture. */
  readonly interface: string | null;
  /** Set for --read. */
  readonly file: string | null;
  readonly seconds: number;
  /** 0: no limit. */
  readonly maxPackets: number;
}

export interface CaptureDefaults {
  readonly seconds: number;
  readonly maxPackets: number;
  /** Whether this command takes --max-packets. */
  readonly packetLimit: boolean;
}

/** Validates the flags; the default interface is looked up only for a live capture without --interface. */
export async function captureRequest(
  args: ParsedArgs,
  defaults: CaptureDefaults,
  defaultInterface: () => Promise<string> | string,
): Promise<CaptureRequest> {
  const file = stringFlag(args, 'read') ?? null;
  const iface = stringFlag(args, 'interface');
  if (file !== null && iface !== undefined) throw new UsageError('--read and --interface exclude each other: a file was captured on its own interface');
  if (file !== null && args.flags.has('time')) throw new UsageError('--time applies to live captures, not to --read');
  const seconds = numberFlag(args, 'time', defaults.seconds, 0);
  if (!(seconds > 0) || seconds > 86400) throw new UsageError(`--time must be a number of seconds, more than 0 and at most 86400, not "${stringFlag(args, 'time')}"`);
  if (!defaults.packetLimit && args.flags.has('max-packets')) throw new UsageError('--max-packets does not apply to this command');
  // With --read, the whole file is analyzed unless --max-packets is given.
  const fallback = file !== null ? 0 : defaults.maxPackets;
  const maxPackets = defaults.packetLimit ? numberFlag(args, 'max-packets', fallback, 1) : 0;
  if (!Number.isInteger(maxPackets)) throw new UsageError(`--max-packets must be a whole number, not "${stringFlag(args, 'max-packets')}"`);
  if (file !== null) return { interface: null, file, seconds, maxPackets };
  const name = iface ?? (await defaultInterface());
  if (name === '' || name.length > 15 || /[\s/]/.test(name)) throw new UsageError(`"${name}" is not a network interface name`);
  return { interface: name, file: null, seconds, maxPackets };
}

/** Runs the capture the request describes; capture problems become UserErrors (exit status 1). */
export async function runCapture(
  request: CaptureRequest,
  filter: string,
  sink: FrameSink,
  extra: { inboundOnly?: boolean } = {},
): Promise<CaptureResult> {
  try {
    if (request.file !== null) return await readCaptureFile(request.file, sink, request.maxPackets);
    return await captureLive(
      { interface: request.interface!, filter, seconds: request.seconds, maxPackets: request.maxPackets, ...extra },
      sink,
    );
  } catch (error) {
    // Exit 4 when it lacks privilege (a missing prerequisite, as the README's exit statuses say), else 1.
    if (error instanceof CaptureError) throw new UserError(error.message, error.needsRoot ? 4 : 1);
    throw error;
  }
}

/** "5s", "2.5s". */
export function secondsText(seconds: number): string {
  return `${seconds}s`;
}
