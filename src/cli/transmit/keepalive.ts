// `ux-tunnel-transmit keepalive`: the keepalive sender, run in the foreground by ux-tunnel-transmit-keepalive.service.
import { numberFlag, type ParsedArgs } from '../args.js';
import { KEEPALIVE_INTERVAL_SECONDS } from '../../model/transmit.js';
import { readSenderCounters } from '../../keepalive/counters.js';
import { runKeepaliveSender } from '../../keepalive/sender.js';
import { loadConfig, transmitConfigPath } from './common.js';

export async function runKeepalive(args: ParsedArgs): Promise<number> {
  const conf = loadConfig(transmitConfigPath(args));
  await runKeepaliveSender({
    tunnelId: conf.tunnelId,
    local: conf.transmitIp,
    readCounters: () => readSenderCounters(conf.mirrorIf),
    intervalSeconds: numberFlag(args, 'interval', KEEPALIVE_INTERVAL_SECONDS, 0.1),
    count: numberFlag(args, 'count', 0, 0),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  return 0;
}
