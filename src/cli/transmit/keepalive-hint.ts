// What `start` says about the keepalive. Only ux-tunnel-transmit-keepalive.service sends it; `start` run by hand
// builds the mirror without it, and on an idle site the collector then sees no frame at all: `diag monitor detect`
// finds no tunnel and points at firewalls. So a start outside the unit says exactly what to run, unless a sender
// is already running.
import { readFileSync } from 'node:fs';
import { systemdRuns } from '../../install/layout.js';
import { readKeepaliveStatus } from '../../keepalive/sender.js';

export interface KeepaliveSituation {
  /** Started by systemd (INVOCATION_ID is set in every unit's processes): the unit's Wants= starts the keepalive. */
  readonly inUnit: boolean;
  readonly systemdRuns: boolean;
  /** A keepalive sender process is alive (its status file names a live process running `keepalive`). */
  readonly senderAlive: boolean;
}

export function keepaliveHint(situation: KeepaliveSituation, interval = 20): string | null {
  if (situation.inUnit || situation.senderAlive) return null;
  const why = 'no keepalive is being sent: the collector cannot tell an idle tunnel from a dead one, and on an idle site ux-tunnel-receive diag monitor detect finds nothing';
  return situation.systemdRuns
    ? `[warn] ${why}. Run: systemctl start ux-tunnel-transmit-keepalive (or let systemd run both: systemctl enable --now ux-tunnel-transmit)`
    : `[warn] ${why}. No systemd here: run ux-tunnel-transmit keepalive --interval ${interval} under your service manager (it stays in the foreground), or for a test: nohup ux-tunnel-transmit keepalive --interval ${interval} >/dev/null 2>&1 &`;
}

function senderAlive(): boolean {
  const status = readKeepaliveStatus();
  if (!status) return false;
  try {
    return readFileSync(`/proc/${status.pid}/cmdline`, 'utf8').split('\0').includes('keepalive');
  } catch {
    return false;
  }
}

export function currentKeepaliveSituation(env: NodeJS.ProcessEnv = process.env): KeepaliveSituation {
  return { inUnit: Boolean(env.INVOCATION_ID), systemdRuns: systemdRuns(), senderAlive: senderAlive() };
}
