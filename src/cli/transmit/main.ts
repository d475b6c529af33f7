// ux-tunnel-transmit: the web server side. Dispatches subcommands; each lives in its own file and is imported only
// when run (see receive/main.ts).
import { parseArgs } from '../args.js';
import { printHelp, unknownCommand } from '../help.js';
import { TRANSMIT_HELP } from './commands.js';
import { runMain } from '../main.js';
import { FIREWALL_VALUE_FLAGS, TRAFFIC_VALUE_FLAGS } from '../flags.js';


const VALUE_FLAGS = [...new Set(['config', 'interval', 'count', ...TRAFFIC_VALUE_FLAGS, ...FIREWALL_VALUE_FLAGS])];

await runMain('ux-tunnel-transmit', async () => {
  const args = parseArgs(process.argv.slice(2), VALUE_FLAGS, ['dry-run', 'json', 'purge', 'check-config']);
  const help = printHelp(TRANSMIT_HELP, args);
  if (help !== null) return help;
  const command = args.words.join(' ');
  switch (command) {
    case 'start':
      return (await import('./start.js')).runStart(args);
    case 'stop':
      return (await import('./start.js')).runStop(args);
    case 'restart':
      return (await import('./start.js')).runRestart(args);
    case 'status':
      return (await import('./status.js')).runStatus(args);
    case 'keepalive':
      return (await import('./keepalive.js')).runKeepalive(args);
    case 'diag tunnel check':
    case 'diag tunnels check':
      return (await import('./tunnel-check.js')).runTunnelCheck(args);
    case 'diag path':
      return (await import('./diag-path.js')).runDiagPath(args);
    case 'diag traffic servers':
      {
        const [{ runTrafficServers }, { trafficInterface }] = await Promise.all([import('../diag-traffic.js'), import('./traffic-interface.js')]);
        return runTrafficServers(args, () => trafficInterface(args));
      }
    case 'firewall open':
    case 'firewall close':
    case 'firewall status':
      return (await import('../firewall.js')).runFirewall(args, 'transmit');
    case 'keys': {
      const [{ runKeys }, { transmitConfigPath, PROGRAM }] = await Promise.all([import('../wireguard-key.js'), import('./common.js')]);
      return runKeys(args, transmitConfigPath(args), PROGRAM, "the collector's tunnels.conf (this web server's line)");
    }
    case 'install':
      return (await import('../install.js')).runInstall(args, 'transmit');
    case 'uninstall':
      return (await import('../install.js')).runUninstall(args, 'transmit');
  }
  throw unknownCommand(TRANSMIT_HELP, args.words);
});
