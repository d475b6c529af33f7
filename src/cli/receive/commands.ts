// ux-tunnel-receive's commands for --help (cli/help.ts): what each does, its options, an example.
import type { ProgramHelp } from '../help.js';

const DRY_RUN = ['--dry-run', 'print the exact commands ([#] lines), change nothing'] as const;
const JSON_OUT = ['--json', 'machine-readable output'] as const;
const PIN = ['--source-pinning on|off', 'accept IP protocol 115 only from the senders of tunnels.conf (default on; needs nftables)'] as const;

export const RECEIVE_HELP: ProgramHelp = {
  program: 'ux-tunnel-receive',
  configHelp: 'tunnels.conf to use (default: $UX_TUNNEL_CONFIG, else $RUEI_HOME/tunnel/receive/conf/tunnels.conf)',
  commands: [
    { words: ['start'], summary: 'create ruei-mtun and one ruei-mtun-NNNNN per line of tunnels.conf (only what is missing)', options: [PIN, DRY_RUN], example: 'ux-tunnel-receive start --dry-run' },
    { words: ['reload'], summary: 'apply an edited tunnels.conf: only the lines that changed, the other tunnels untouched', options: [PIN, DRY_RUN], example: 'ux-tunnel-receive reload' },
    { words: ['stop'], summary: 'remove every ruei-mtun object (the analyzer loses ruei-mtun)', options: [DRY_RUN], example: 'ux-tunnel-receive stop' },
    { words: ['status'], summary: 'tunnels, counters, fragmented frames, health from the monitor (exit 1 unless OK)', options: [['--watch', 'redraw until Ctrl-C'], ['--interval S', 'with --watch: seconds between redraws (default 2)'], ['--sample S', 'measure the load (Mbit/s in, per tunnel and in total) over S seconds now (default: since the monitor last read the counters)'], JSON_OUT], example: 'ux-tunnel-receive status --watch' },
    { words: ['monitor'], summary: 'the tunnel-health monitor (what ux-tunnel-receive-monitor.service runs)', options: [['--loss-warn PCT', 'warn above this loss per interval (default 1)'], ['--metrics-listen [HOST:]PORT', 'serve Prometheus metrics (default host 127.0.0.1)'], ['--verbose', 'log every settled interval']], example: 'ux-tunnel-receive monitor --metrics-listen 127.0.0.1:9477' },
    { words: ['config', 'add'], args: 'RECEIVING-IP TRANSMIT-IP [TUNNEL-ID]', summary: 'add a web server to tunnels.conf and, when running, to the kernel', options: [['--cookie auto|HEX16', 'give the tunnel a 64-bit L2TPv3 cookie (auto: a random one) and print the web server\'s tunnel.conf options'], ['--udp auto|PORT', 'L2TPv3 over UDP on this port (auto: the lowest free one from 1701), for networks that pass only TCP and UDP or NATs that drop IP protocol 115'], DRY_RUN], example: 'ux-tunnel-receive config add 10.10.10.10 10.10.10.13' },
    { words: ['config', 'remove'], args: 'TRANSMIT-IP|TUNNEL-ID', summary: 'remove a web server from tunnels.conf and, when running, from the kernel', options: [DRY_RUN], example: 'ux-tunnel-receive config remove 10.10.10.13' },
    { words: ['config', 'list'], summary: 'the tunnels of tunnels.conf', options: [JSON_OUT], example: 'ux-tunnel-receive config list' },
    { words: ['diag', 'traffic', 'servers'], summary: 'which servers answer clients in the mirrored traffic (on ruei-mtun)', options: [['--interface IF', 'capture there (default ruei-mtun)'], ['--time S', 'capture for S seconds (default 30)'], ['--max-packets N', 'stop after N packets (default 1000)'], ['--read FILE', 'read a pcap file instead'], JSON_OUT], example: 'ux-tunnel-receive diag traffic servers --time 30' },
    { words: ['diag', 'tunnels', 'check'], summary: 'each tunnel of tunnels.conf against the kernel (exit 1 on a FAIL)', options: [JSON_OUT], example: 'ux-tunnel-receive diag tunnels check' },
    { words: ['diag', 'monitor', 'detect'], summary: 'which senders reach this host (L2TP packets seen), and whether tunnels.conf agrees', options: [['--interface IF', 'capture there (default: any)'], ['--time S', 'capture for S seconds (default 30)'], ['--read FILE', 'read a pcap file instead'], JSON_OUT], example: 'ux-tunnel-receive diag monitor detect --time 60' },
    { words: ['firewall', 'open'], summary: 'allow incoming IP protocol 115 (firewalld, else nftables)', options: [['--zone ZONE', 'firewalld zone (default: the default zone)'], DRY_RUN], example: 'ux-tunnel-receive firewall open --dry-run' },
    { words: ['firewall', 'close'], summary: 'remove what firewall open added', options: [['--zone ZONE', 'firewalld zone'], DRY_RUN], example: 'ux-tunnel-receive firewall close' },
    { words: ['firewall', 'status'], summary: 'is incoming IP protocol 115 allowed? (exit 1 when not, or when it cannot tell)', options: [['--zone ZONE', 'firewalld zone'], JSON_OUT], example: 'ux-tunnel-receive firewall status' },
    { words: ['keys'], summary: 'make this host\'s WireGuard key for encrypted tunnels (kept if there is one); print the public key', options: [DRY_RUN, JSON_OUT], example: 'sudo ux-tunnel-receive keys' },
    { words: ['install'], summary: 'config directory with tunnels.conf, and the systemd units', options: [DRY_RUN], example: 'sudo ux-tunnel-receive install' },
    { words: ['uninstall'], summary: 'remove what install made (tunnels.conf kept unless --purge)', options: [['--purge', 'also remove tunnels.conf'], DRY_RUN], example: 'sudo ux-tunnel-receive uninstall' },
  ],
};
