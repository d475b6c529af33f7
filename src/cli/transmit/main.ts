// ux-tunnel-transmit: the web server side. Dispatches subcommands; each lives in its own file and is imported only
// when run (see receive/main.ts).
import { parseArgs, UsageError } from '../args.js';
import { runMain } from '../main.js';
import { FIREWALL_VALUE_FLAGS, TRAFFIC_VALUE_FLAGS } from '../flags.js';

const USAGE = `usage: ux-tunnel-transmit [--config FILE] [--dry-run] [--json] COMMAND

commands:
  start | stop | restart | status
  keepalive [--interval SECONDS]      send the keepalive through the tunnel (what the systemd unit runs)
  diag traffic servers [--interface IF] [--time S] [--max-packets N] [--read FILE]
  diag tunnel check
  diag path                           do mirrored frames cross to the collector whole or as IP fragments? (DF probes)
  firewall open | firewall close | firewall status [--zone ZONE]
  install | uninstall [--purge]

  --config FILE   tunnel.conf to use (default: $UX_TUNNEL_CONFIG, else $RUEI_HOME/tunnel/transmit/conf/tunnel.conf)
  --dry-run       start, stop, restart, firewall, install: print the exact ip/tc commands, change nothing
  --json          status, diag tunnel check, diag path, diag traffic servers: machine-readable output
`;

const VALUE_FLAGS = [...new Set(['config', 'interval', 'count', ...TRAFFIC_VALUE_FLAGS, ...FIREWALL_VALUE_FLAGS])];

await runMain('ux-tunnel-transmit', async () => {
  const args = parseArgs(process.argv.slice(2), VALUE_FLAGS, ['dry-run', 'json', 'purge']);
  if (args.flags.has('help') || args.words.length === 0) {
    process.stdout.write(USAGE);
    return args.words.length === 0 && !args.flags.has('help') ? 2 : 0;
  }
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
        const [{ runTrafficServers }, { loadConfig, transmitConfigPath }] = await Promise.all([import('../diag-traffic.js'), import('./common.js')]);
        return runTrafficServers(args, () => loadConfig(transmitConfigPath(args)).mirrorIf);
      }
    case 'firewall open':
    case 'firewall close':
    case 'firewall status':
      return (await import('../firewall.js')).runFirewall(args, 'transmit');
    case 'install':
      return (await import('../install.js')).runInstall(args, 'transmit');
    case 'uninstall':
      return (await import('../install.js')).runUninstall(args, 'transmit');
  }
  throw new UsageError(`unknown command "${command}"`);
});
