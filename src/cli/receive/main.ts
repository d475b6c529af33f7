// ux-tunnel-receive: the collector side. Dispatches subcommands; each lives in its own file and is imported only when
// run, so that `--help` or `status` do not pay for loading every command (Node compiles each module it imports).
import { parseArgs } from '../args.js';
import { printHelp, unknownCommand } from '../help.js';
import { RECEIVE_HELP } from './commands.js';
import { runMain } from '../main.js';
import { FIREWALL_VALUE_FLAGS, MONITOR_RUN_VALUE_FLAGS, MONITOR_VALUE_FLAGS, PIN_VALUE_FLAGS, COOKIE_VALUE_FLAGS, STATUS_VALUE_FLAGS, TRAFFIC_VALUE_FLAGS } from '../flags.js';


const VALUE_FLAGS = [...new Set(['config', ...TRAFFIC_VALUE_FLAGS, ...MONITOR_VALUE_FLAGS, ...FIREWALL_VALUE_FLAGS, ...MONITOR_RUN_VALUE_FLAGS, ...STATUS_VALUE_FLAGS, ...PIN_VALUE_FLAGS, ...COOKIE_VALUE_FLAGS])];

await runMain('ux-tunnel-receive', async () => {
  const args = parseArgs(process.argv.slice(2), VALUE_FLAGS, ['dry-run', 'json', 'purge', 'watch', 'verbose']);
  const help = printHelp(RECEIVE_HELP, args);
  if (help !== null) return help;
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
    case 'keys': {
      const [{ runKeys }, { receiveConfigPath, PROGRAM }] = await Promise.all([import('../wireguard-key.js'), import('./common.js')]);
      return runKeys(args, receiveConfigPath(args), PROGRAM, "each encrypted web server's tunnel.conf");
    }
    case 'install':
      if (args.words.length !== 1) break;
      return (await import('../install.js')).runInstall(args, 'receive');
    case 'uninstall':
      if (args.words.length !== 1) break;
      return (await import('../install.js')).runUninstall(args, 'receive');
  }
  throw unknownCommand(RECEIVE_HELP, args.words);
});
