// `ux-tunnel-receive config add|remove|list`: edit tunnels.conf (atomically, comments kept) and apply the change live.
import { stringFlag, UsageError, type ParsedArgs } from '../args.js';
import { UserError } from '../main.js';
import { addTunnel, EditError, newLineErrors, removeTunnel, writeFileAtomic, type Edit } from '../../config/tunnels-edit.js';
import { ConfigErrors } from '../../config/errors.js';
import type { ReceivePlan } from '../../plan/receive.js';
import { formatWarning } from '../../config/errors.js';
import { describeTunnelId } from '../../config/values.js';
import { AGGREGATION_IF } from '../../model/receive.js';
import { applyPlan, isDryRun, loadConfig, makeRunner, missingConfigOk, planChecked, PROGRAM, readConfigText, receiveConfigPath, requireKernel } from './common.js';
import { alignedRows } from '../../diag/table.js';
import { randomBytes } from 'node:crypto';
import { parseCookie, parseUdpPort } from '../../config/tunnel-options.js';
import { readSettledReceiveState } from '../../kernel/receive-state.js';
import { HIDDEN } from '../../kernel/exec.js';

export async function runConfig(args: ParsedArgs): Promise<number> {
  const [, action, ...rest] = args.words;
  const file = receiveConfigPath(args);
  if (action === 'list') return list(args, file);
  let edit: Edit;
  const text = readConfigText(file, action === 'add');
  try {
    if (action === 'add' && (rest.length === 2 || rest.length === 3)) edit = addTunnel(file, text, rest[0]!, rest[1]!, rest[2], cookieOf(args), udpOf(args));
    else if (action === 'remove' && rest.length === 1) edit = removeTunnel(file, text, rest[0]!);
    else throw new UsageError('usage: config add RECEIVING-IP TRANSMIT-IP [TUNNEL-ID] [--cookie auto|HEX16] [--udp auto|PORT] | config remove TRANSMIT-IP|TUNNEL-ID | config list');
  } catch (error) {
    if (error instanceof EditError) throw new UserError(`config ${action}: ${error.message}; ${file} was not changed`, error.exitCode);
    throw error;
  }
  for (const warning of edit.conf.warnings) process.stderr.write(`${PROGRAM}: ${formatWarning(warning)}\n`);
  const runner = makeRunner(isDryRun(args));
  // Stopped (no ruei-mtun): only the file is edited, which needs neither kernel modules nor privilege beyond the file's.
  // Running, its modules are loaded already: the state read here serves the plan too (no second read).
  const state = await readSettledReceiveState(runner);
  const running = state.links.some((l) => l.name === AGGREGATION_IF);
  if (running) await requireKernel(`config ${action}`, runner);
  // The kernel goes first: when applying fails (and is rolled back) the file still describes what runs.
  let plan: ReceivePlan;
  try {
    plan = await planChecked(file, edit.conf, state, runner);
  } catch (error) {
    const ours = action === 'add' && error instanceof ConfigErrors ? newLineErrors(error, edit.tunnel.line) : null;
    if (ours) throw new UserError(`config add: ${ours.message}; ${file} was not changed`, 3);
    throw error;
  }
  const what = `${action === 'add' ? 'added' : 'removed'} line ${edit.tunnel.line} (${edit.tunnel.receivingIp} ${edit.tunnel.transmitIp} tunnel ID ${describeTunnelId(edit.tunnel.tunnelId)})`;
  if (running) await applyPlan(plan, runner, `config ${action}`, state);
  if (runner.dryRun) {
    const cookie = action === 'add' && edit.tunnel.cookie ? ' with a cookie (not shown in a dry run)' : '';
    process.stdout.write(`[info] would have ${what}${cookie} in ${file}${running ? '' : `; ${AGGREGATION_IF} is not there (stopped), so nothing would be applied`}\n`);
    return 0;
  }
  try {
    writeFileAtomic(file, edit.text);
  } catch (error) {
    throw new UserError(`cannot write ${file}: ${(error as Error).message}${running ? ' (the kernel already has the change: fix the file, then run reload)' : ''}`);
  }
  process.stdout.write(`[info] ${what} in ${file}${running ? '' : `; ${AGGREGATION_IF} is not there (stopped): the change applies at the next start`}\n`);
  if (action === 'add' && (edit.tunnel.cookie || edit.tunnel.udpPort)) {
    // Asked for: the one place a cookie is printed, so it can be carried to the web server (keep it out of tickets).
    const t = edit.tunnel;
    const id = t.explicitId ? ` ${rest[2]}` : '';
    if (t.cookie) process.stdout.write(`[info] ${file} is now readable by root only (it holds a secret)\n`);
    const same = [t.cookie ? 'cookie' : '', t.udpPort ? `UDP port (${t.udpPort})` : ''].filter(Boolean).join(' and ');
    process.stdout.write(`[info] the web server ${t.transmitIp} needs the same ${same}: its tunnel.conf line is\n`);
    process.stdout.write(`${t.receivingIp} ${t.transmitIp} MIRROR-IF PORTS${id}${t.cookie ? ` cookie=${t.cookie}` : ''}${t.udpPort ? ` udp=${t.udpPort}` : ''}\n`);
    process.stdout.write(`[info] (MIRROR-IF and PORTS as on that web server, e.g. ens3 i80,i443; then run ux-tunnel-transmit restart there)\n`);
  }
  return 0;
}

/** --cookie auto (64 random bits from the kernel's CSPRNG) or 16 hex digits; null without the flag. */
function cookieOf(args: ParsedArgs): string | null {
  const value = stringFlag(args, 'cookie');
  if (value === undefined) return null;
  if (value === 'auto') return randomBytes(8).toString('hex');
  const parsed = parseCookie(value);
  if (typeof parsed !== 'string') throw new UsageError(`--cookie: ${parsed.reason}`);
  return parsed;
}

/** --udp auto (the lowest free port from 1701) or a port; null without the flag (IP protocol 115). */
function udpOf(args: ParsedArgs): number | 'auto' | null {
  const value = stringFlag(args, 'udp');
  if (value === undefined) return null;
  if (value === 'auto') return 'auto';
  const parsed = parseUdpPort(value);
  if (typeof parsed !== 'number') throw new UsageError(`--udp: ${parsed.reason}`);
  return parsed;
}

function list(args: ParsedArgs, file: string): number {
  const conf = loadConfig(file, readConfigText(file, missingConfigOk(args)));
  if (args.flags.get('json') === true) {
    const tunnels = conf.tunnels.map((t) => ({ ...t, cookie: t.cookie ? HIDDEN : null })); // a secret: never printed
    process.stdout.write(`${JSON.stringify({ config: file, tunnels }, null, 2)}\n`);
    return 0;
  }
  const table = [['Line', 'Receiving IP', 'Transmit IP', 'Tunnel-ID', 'Cookie', 'Transport']];
  for (const t of conf.tunnels) {
    const transport = t.wireguard ? 'WireGuard' : t.udpPort ? `UDP ${t.udpPort}` : 'IP 115';
    table.push([String(t.line), t.receivingIp, t.transmitIp, `${describeTunnelId(t.tunnelId)}${t.explicitId ? '' : ' (derived)'}`, t.cookie ? 'yes' : '-', transport]);
  }
  process.stdout.write(`[info] ${file}: ${conf.tunnels.length} tunnel(s)\n`);
  process.stdout.write(alignedRows(table).map((line) => `${line}\n`).join(''));
  return 0;
}
