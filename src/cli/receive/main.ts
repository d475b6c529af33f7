// ux-tunnel-receive: the collector side. Dispatches subcommands; each lives in its own file.
import { parseArgs, UsageError } from '../args.js';
import { runMain } from '../main.js';
import { runTrafficServers, TRAFFIC_VALUE_FLAGS } from '../diag-traffic.js';
import { MONITOR_VALUE_FLAGS, runMonitorDetect } from './diag-monitor.js';
import { receiveConfigPath } from './common.js';
import { runConfig } from './config.js';
import { runStartOrReload } from './start.js';
import { runStatus } from './status.js';
import { runStop } from './stop.js';
import { runTunnelsCheck } from './tunnels-check.js';
import { AGGREGATION_IF } from '../../model/receive.js';
import { FIREWALL_VALUE_FLAGS, runFirewall } from '../firewall.js';
import { runInstall, runUninstall } from '../install.js';

const USAGE = `usage: ux-tunnel-receive [--config FILE] [--dry-run] [--json] COMMAND

commands:
  start | stop | reload | status
  config add RECEIVING-IP TRANSMIT-IP [TUNNEL-ID] | config remove TRANSMIT-IP|TUNNEL-ID | config list
  diag traffic servers | diag tunnels check | diag monitor detect
  firewall open | firewall close | firewall status [--zone ZONE]
  install | uninstall [--purge]

  --config FILE   tunnels.conf to use (default: $UX_TUNNEL_CONFIG, else $RUEI_HOME/tunnel/receive/conf/tunnels.conf)
  --dry-run       start, stop, reload, config add|remove: print the exact ip/tc commands, change nothing
  --json          status, config list, diag, firewall status: machine-readable output
`;

const VALUE_FLAGS = [...new Set(['config', ...TRAFFIC_VALUE_FLAGS, ...MONITOR_VALUE_FLAGS, ...FIREWALL_VALUE_FLAGS])];

await runMain('ux-tunnel-receive', async () => {
  const args = parseArgs(process.argv.slice(2), VALUE_FLAGS, ['dry-run', 'json', 'purge']);
  if (args.flags.has('help') || args.words.length === 0) {
    process.stdout.write(USAGE);
    return args.words.length === 0 && !args.flags.has('help') ? 2 : 0;
  }
  const command = args.words.join(' ');
  switch (args.words[0]) {
    case 'start':
    case 'reload':
      if (args.words.length !== 1) break;
      return runStartOrReload(args, args.words[0]);
    case 'stop':
      if (args.words.length !== 1) break;
      return runStop(args);
    case 'status':
      if (args.words.length !== 1) break;
      return runStatus(args);
    case 'config':
      if (!['add', 'remove', 'list'].includes(args.words[1] ?? '')) break;
      return runConfig(args);
    case 'diag':
      if (command === 'diag tunnels check' || command === 'diag tunnel check') return runTunnelsCheck(args);
      if (command === 'diag traffic servers') return runTrafficServers(args, () => AGGREGATION_IF);
      if (command === 'diag monitor detect') return runMonitorDetect(args, receiveConfigPath(args));
      break;
    case 'firewall':
      if (args.words.length !== 2) break;
      return runFirewall(args, 'receive');
    case 'install':
      if (args.words.length !== 1) break;
      return runInstall(args, 'receive');
    case 'uninstall':
      if (args.words.length !== 1) break;
      return runUninstall(args, 'receive');
  }
  throw new UsageError(`unknown command "${command}"`);
});
