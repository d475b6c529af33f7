// ux-tunnel-receive: the collector side. Dispatches subcommands; each lives in its own file.
import { parseArgs, UsageError } from '../args.js';
import { runMain } from '../main.js';

const USAGE = `usage: ux-tunnel-receive [--config FILE] [--dry-run] [--json] COMMAND

commands:
  start | stop | reload | status
  config add RECEIVING-IP TRANSMIT-IP [TUNNEL-ID] | config remove TRANSMIT-IP|TUNNEL-ID | config list
  diag traffic servers | diag tunnels check | diag monitor detect
`;

await runMain('ux-tunnel-receive', async () => {
  const args = parseArgs(process.argv.slice(2), ['config'], ['dry-run', 'json']);
  if (args.flags.has('help') || args.words.length === 0) {
    process.stdout.write(USAGE);
    return args.words.length === 0 && !args.flags.has('help') ? 2 : 0;
  }
  throw new UsageError(`unknown command "${args.words.join(' ')}"`);
});
