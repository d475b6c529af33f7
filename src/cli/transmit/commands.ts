// ux-tunnel-transmit's commands for --help (cli/help.ts): what each does, its options, an example.
import type { ProgramHelp } from '../help.js';

const DRY_RUN = ['--dry-run', 'print the exact commands ([#] lines), change nothing'] as const;
const JSON_OUT = ['--json', 'machine-readable output'] as const;
const CAPTURE = [
  ['--interface IF', 'capture there (default: the mirror NIC of tunnel.conf, or without one the default route\'s interface)'],
  ['--time S', 'capture for S seconds (default 30)'], ['--max-packets N', 'stop after N packets (default 1000)'], ['--read FILE', 'read a pcap file instead of capturing'], JSON_OUT,
] as const;

export const TRANSMIT_HELP: ProgramHelp = {
  program: 'ux-tunnel-transmit',
  configHelp: 'tunnel.conf to use (default: $UX_TUNNEL_CONFIG, else $RUEI_HOME/tunnel/transmit/conf/tunnel.conf)',
  commands: [
    { words: ['start'], summary: 'build the mirror and the tunnel from tunnel.conf (only what is missing or different)', options: [DRY_RUN], example: 'ux-tunnel-transmit start --dry-run' },
    { words: ['stop'], summary: 'remove the mirror, the tunnel and its interfaces (the host as before start)', options: [DRY_RUN, ['--check-config', 'remove nothing while tunnel.conf is broken (the unit\'s ExecStop: a stop+start to apply an edit never leaves the server without a mirror)']], example: 'ux-tunnel-transmit stop' },
    { words: ['restart'], summary: 'stop, then start; tunnel.conf is checked before anything is stopped', options: [DRY_RUN], example: 'ux-tunnel-transmit restart' },
    { words: ['status'], summary: 'the tunnel, its interfaces, the mirror filters with counters, the keepalive (exit 1 unless OK)', options: [JSON_OUT], example: 'ux-tunnel-transmit status' },
    { words: ['keepalive'], summary: 'send the keepalive through the tunnel (what ux-tunnel-transmit-keepalive.service runs)', options: [['--interval SECONDS', 'between keepalives (default 20)']], example: 'ux-tunnel-transmit keepalive --interval 20' },
    { words: ['diag', 'traffic', 'servers'], summary: 'which servers and ports answer clients on an interface (to choose the ports to mirror)', options: CAPTURE, example: 'ux-tunnel-transmit diag traffic servers --interface ens3 --time 30' },
    { words: ['diag', 'tunnel', 'check'], summary: 'check the tunnel and its interfaces against tunnel.conf (exit 1 on a FAIL)', options: [JSON_OUT], example: 'ux-tunnel-transmit diag tunnel check' },
    { words: ['diag', 'path'], summary: 'do mirrored frames cross to the collector whole or as IP fragments? (DF probes)', options: [JSON_OUT], example: 'ux-tunnel-transmit diag path' },
    { words: ['firewall', 'open'], summary: 'allow outgoing IP protocol 115 (firewalld, else nftables)', options: [['--zone ZONE', 'firewalld zone (default: the default zone)'], DRY_RUN], example: 'ux-tunnel-transmit firewall open --dry-run' },
    { words: ['firewall', 'close'], summary: 'remove what firewall open added', options: [['--zone ZONE', 'firewalld zone'], DRY_RUN], example: 'ux-tunnel-transmit firewall close' },
    { words: ['firewall', 'status'], summary: 'is outgoing IP protocol 115 allowed? (exit 1 when not, or when it cannot tell)', options: [['--zone ZONE', 'firewalld zone'], JSON_OUT], example: 'ux-tunnel-transmit firewall status' },
    { words: ['keys'], summary: 'make this host\'s WireGuard key for an encrypted tunnel (kept if there is one); print the public key', options: [DRY_RUN, JSON_OUT], example: 'sudo ux-tunnel-transmit keys' },
    { words: ['install'], summary: 'config directory with tunnel.conf.example, and the systemd units', options: [DRY_RUN], example: 'sudo ux-tunnel-transmit install' },
    { words: ['uninstall'], summary: 'remove what install made (tunnel.conf kept unless --purge)', options: [['--purge', 'also remove tunnel.conf'], DRY_RUN], example: 'sudo ux-tunnel-transmit uninstall' },
  ],
};
