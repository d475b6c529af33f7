// ux-tunnel-receive: the collector side. Dispatches subcommands; each lives in its own file and is imported only when
// run, so that `--help` or `status` do not pay for loading every command (Node compiles each module it imports).
import { parseArgs, UsageError } from '../args.js';
import { runMain } from '../main.js';
import { FIREWALL_VALUE_FLAGS, MONITOR_RUN_VALUE_FLAGS, MONITOR_VALUE_FLAGS, STATUS_VALUE_FLAGS, TRAFFIC_VALUE_FLAGS } from '../flags.js';

const USAGE = `usage: ux-tunnel-receive [--config FILE] [--dry-run] [--json] COMMAND

commands:
  start | stop | reload
  status [--watch [--interval S]]      tunnels, counters, and their health from the monitor
  monitor [--loss-warn PCT] [--metrics-listen [HOST:]PORT] [--verbose]
                                       the tunnel-health monitor (what ux-tunnel-receive-monitor.service runs)
  config add RECEIVING-IP TRANSMIT-IP [TUNNEL-ID] | config remove TRANSMIT-IP|TUNNEL-ID | config list
  diag traffic servers | diag tunnels check | diag monitor detect
  firewall open | firewall close | firewall status [--zone ZONE]
  install | uninstall [--purge]

  --config FILE   tunnels.conf to use (default: $UX_TUNNEL_CONFIG, else $RUEI_HOME/tunnel/receive/conf/tunnels.conf)
  --dry-run       start, stop, reload, config add|remove: print the exact ip/tc commands, change nothing
  --json          status, config list, diag, firewall status: machine-readable output
`;

const VALUE_FLAGS = [...new Set(['config', ...TRAFFIC_VALUE_FLAGS, ...MONITOR_VALUE_FLAGS, ...FIREWALL_VALUE_FLAGS, ...MONITOR_RUN_VALUE_FLAGS, ...STATUS_VALUE_FLAGS])];

await runMain('ux-tunnel-receive', async () => {
  const args = parseArgs(process.argv.slice(2), VALUE_FLAGS, ['dry-run', 'json', 'purge', 'watch', 'verbose']);
  if (args.flags.has('help') || args.words.length === 0) {
    process.stdout.write(USAGE);
    return args.words.length === 0 && !args.flags.has('help') ? 2 : 0;
  }
  const command = args.words.join(' ');
  switch (args.words[0]) {
    case 'start':
    case 'reload':
      if (args.words.length !== 1) break;
      return (await import('./start.js')).runStartOrReload(args, args.words[0]);
    case 'stop':
      if (args.words.length !== 1) break;
      return (await import('./stop.js')).runStop(args);
    case 'status':
      if (args.words.length !== 1) break;
      return (await import('./status.js')).runStatus(args);
    case 'monitor':
      if (args.words.length !== 1) break;
      return (await import('./monitor.js')).runMonitorCommand(args);
    case 'config':
      if (!['add', 'remove', 'list'].includes(args.words[1] ?? '')) break;
      return (await import('./config.js')).runConfig(args);
    case 'diag':
      if (command === 'diag tunnels check' || command === 'diag tunnel check') return (await import('./tunnels-check.js')).runTunnelsCheck(args);
      if (command === 'diag traffic servers') {
        const [{ runTrafficServers }, { AGGREGATION_IF }] = await Promise.all([import('../diag-traffic.js'), import('../../model/receive.js')]);
        return runTrafficServers(args, () => AGGREGATION_IF);
      }
      if (command === 'diag monitor detect') {
        const [{ runMonitorDetect }, { receiveConfigPath }] = await Promise.all([import('./diag-monitor.js'), import('./common.js')]);
        return runMonitorDetect(args, receiveConfigPath(args));
      }
      break;
    case 'firewall':
      if (args.words.length !== 2) break;
      return (await import('../firewall.js')).runFirewall(args, 'receive');
    case 'install':
      if (args.words.length !== 1) break;
      return (await import('../install.js')).runInstall(args, 'receive');
    case 'uninstall':
      if (args.words.length !== 1) break;
      return (await import('../install.js')).runUninstall(args, 'receive');
  }
  throw new UsageError(`unknown command "${command}"`);
});
