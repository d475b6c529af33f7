// ux-tunnel-transmit: the web server side. Dispatches subcommands; each lives in its own file.
import { parseArgs, UsageError } from '../args.js';
import { runMain } from '../main.js';
import { runTrafficServers, TRAFFIC_VALUE_FLAGS } from '../diag-traffic.js';
import { loadConfig, transmitConfigPath } from './common.js';
import { runKeepalive } from './keepalive.js';
import { runRestart, runStart, runStop } from './start.js';
import { runStatus } from './status.js';
import { runTunnelCheck } from './tunnel-check.js';
import { FIREWALL_VALUE_FLAGS, runFirewall } from '../firewall.js';
import { runInstall, runUninstall } from '../install.js';

const USAGE = `usage: ux-tunnel-transmit [--config FILE] [--dry-run] [--json] COMMAND

commands:
  start | stop | restart | status
  keepalive [--interval SECONDS]      send the keepalive through the tunnel (what the systemd unit runs)
  diag traffic servers [--interface IF] [--time S] [--max-packets N] [--read FILE]
  diag tunnel check
  firewall open | firewall close | firewall status [--zone ZONE]
  install | uninstall [--purge]

  --config FILE   tunnel.conf to use (default: $UX_TUNNEL_CONFIG, else $RUEI_HOME/tunnel/transmit/conf/tunnel.conf)
  --dry-run       start, stop, restart, firewall, install: print the exact ip/tc commands, change nothing
  --json          status, diag tunnel check, diag traffic servers: machine-readable output
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
      return runStart(args);
    case 'stop':
      return runStop(args);
    case 'restart':
      return runRestart(args);
    case 'status':
      return runStatus(args);
    case 'keepalive':
      return runKeepalive(args);
    case 'diag tunnel check':
    case 'diag tunnels check':
      return runTunnelCheck(args);
    case 'diag traffic servers':
      return runTrafficServers(args, () => loadConfig(transmitConfigPath(args)).mirrorIf);
    case 'firewall open':
    case 'firewall close':
    case 'firewall status':
      return runFirewall(args, 'transmit');
    case 'install':
      return runInstall(args, 'transmit');
    case 'uninstall':
      return runUninstall(args, 'transmit');
  }
  throw new UsageError(`unknown command "${command}"`);
});
