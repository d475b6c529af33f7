// Which iproute2 this host has, and the errors that say so when it is too old for what ux-tunnel uses. Minimums
// (iproute2 release notes and git history): JSON output of ip and tc, ip l2tp in JSON and tc shared blocks
// (ingress_block) arrived by 4.16; police actions print valid JSON from 5.14 (before, `tc -j actions ls` emitted
// broken JSON), and packets-per-second policing (pkts_rate) needs iproute2 5.13 and kernel 5.13.
import { PrerequisiteError } from './prerequisites.js';
import type { ExecResult } from './exec.js';

export const MIN_IPROUTE2 = [4, 16] as const;
export const MIN_IPROUTE2_BUDGET = [5, 14] as const;
export const MIN_KERNEL_BUDGET_PPS = [5, 13] as const;

/**
 * The version from `ip -V` / `tc -V` ("ip utility, iproute2-6.1.0, libbpf 1.1.0"; before 5.x releases were named by
 * snapshot date, "iproute2-ss180402"): [major, minor], or null. A snapshot date reads as its release: every ssYYMMDD
 * from 180402 on is at least 4.16; all of them are older than 5.14.
 */
export function parseIproute2Version(text: string): readonly [number, number] | null {
  const numbered = /iproute2-(?:v)?(\d+)\.(\d+)/.exec(text);
  if (numbered) return [Number(numbered[1]), Number(numbered[2])];
  const snapshot = /iproute2-ss(\d{6})/.exec(text);
  if (snapshot) return Number(snapshot[1]) >= 180402 ? [4, 16] : [4, 0];
  return null;
}

export function atLeast(version: readonly [number, number], min: readonly [number, number]): boolean {
  return version[0] > min[0] || (version[0] === min[0] && version[1] >= min[1]);
}

const text = (v: readonly [number, number]) => `${v[0]}.${v[1]}`;

/**
 * A clear error when an ip/tc read failed because this iproute2 has no JSON output (`Option "-j" is unknown`), else
 * null. `versionText` is what `ip -V` printed, when known.
 */
export function noJsonError(argv: readonly string[], result: ExecResult, versionText = ''): PrerequisiteError | null {
  if (!argv.includes('-j') || result.code === 0) return null;
  if (!/Option "-j(son)?" is unknown|unknown option.*-j|invalid option -- 'j'/i.test(result.stderr)) return null;
  const version = parseIproute2Version(versionText);
  return new PrerequisiteError(`${argv[0]} ${version ? `from iproute2 ${text(version)} ` : ''}cannot print JSON (-j): ux-tunnel needs iproute2 ${text(MIN_IPROUTE2)} or newer (README, "Supported systems"); install your distribution's current iproute2 package`);
}

/** The error when a mirror budget needs a newer iproute2 than `versionText` names; null when it will do (or is unknown). */
export function budgetTooOld(versionText: string): PrerequisiteError | null {
  const version = parseIproute2Version(versionText);
  if (!version || atLeast(version, MIN_IPROUTE2_BUDGET)) return null;
  return new PrerequisiteError(`the mirror budget (budget-mbit=, budget-pps=) needs iproute2 ${text(MIN_IPROUTE2_BUDGET)} or newer (tc prints police actions as valid JSON from then on); this host has ${text(version)}: upgrade iproute2, or remove the budget from tunnel.conf`);
}
