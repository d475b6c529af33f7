// ux-tunnel-transmit: the web server side. Dispatches subcommands; each lives in its own file.
import { parseArgs, UsageError } from '../args.js';
import { runMain } from '../main.js';

const USAGE = `usage: ux-tunnel-transmit [--config FILE] [--dry-run] [--json] COMMAND

commands:
  start | stop | restart | status
  diag traffic servers | diag tunnel check
`;

await runMain('ux-tunnel-transmit', async () => {
  const args = parseArgs(process.argv.slice(2), ['config'], ['dry-run', 'json']);
  if (args.flags.has('help') || args.words.length === 0) {
    process.stdout.write(USAGE);
    return args.words.length === 0 && !args.flags.has('help') ? 2 : 0;
  }
  throw new UsageError(`unknown command "${args.words.join(' ')}"`);
});
