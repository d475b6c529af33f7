// `ux-tunnel-receive monitor`: the tunnel-health monitor, run in the foreground by ux-tunnel-receive-monitor.service.
import { numberFlag, stringFlag, UsageError, type ParsedArgs } from '../args.js';
import { UserError } from '../main.js';
import { loadConfig, readConfigText, receiveConfigPath } from './common.js';
import { CaptureError } from '../../diag/capture.js';
import { parseListenAddress } from '../../monitor/metrics.js';
import { runMonitor, type LogLevel } from '../../monitor/run.js';
import { monitorStateFile } from '../../monitor/state-file.js';

export const DEFAULT_LOSS_WARN_PERCENT = 1;

// journald reads a "<N>" prefix as the syslog priority of the line (SyslogLevelPrefix=, on by default).
const JOURNAL_PRIORITY: Record<LogLevel, number> = { error: 3, warning: 4, info: 6, debug: 7 };
const TERMINAL_PREFIX: Record<LogLevel, string> = { error: '[error] ', warning: '[warn] ', info: '[info] ', debug: '[debug] ' };

export async function runMonitorCommand(args: ParsedArgs): Promise<number> {
  const file = receiveConfigPath(args);
  loadConfig(file, readConfigText(file)); // a bad tunnels.conf stops here with file, line and field
  const lossWarnPercent = numberFlag(args, 'loss-warn', DEFAULT_LOSS_WARN_PERCENT, 0);
  const listen = stringFlag(args, 'metrics-listen');
  let metricsListen = null;
  try {
    metricsListen = listen === undefined || listen === '' ? null : parseListenAddress(listen);
  } catch (error) {
    throw new UsageError(`--metrics-listen: ${(error as Error).message}`);
  }
  const toJournal = process.env.JOURNAL_STREAM !== undefined;
  const verbose = args.flags.get('verbose') === true;
  const log = (level: LogLevel, message: string) => {
    if (level === 'debug' && !verbose) return;
    const lines = message.split('\n').map((line) => (toJournal ? `<${JOURNAL_PRIORITY[level]}>${line}` : `${TERMINAL_PREFIX[level]}${line}`));
    process.stderr.write(`${lines.join('\n')}\n`);
  };
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
  try {
    await runMonitor({ configFile: file, lossWarnPercent, metricsListen, stateFile: monitorStateFile(), log, signal: stop.signal });
  } catch (error) {
    if (error instanceof CaptureError) throw new UserError(`cannot capture keepalives: ${error.message}`);
    throw error;
  }
  log('info', 'monitor stopped');
  return 0;
}
