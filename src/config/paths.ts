// Where the config files live: --config, then $UX_TUNNEL_CONFIG, then $RUEI_HOME/tunnel/<side>/conf/<file>.
import { readFileSync } from 'node:fs';

export const DEFAULT_RUEI_HOME = '/opt/ruei';
/** /etc/ruei.conf, or $UX_TUNNEL_RUEI_CONF (tests point it at a file of their own). */
export function rueiConfPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.UX_TUNNEL_RUEI_CONF ?? '/etc/ruei.conf';
}

/** RUEI_HOME from a RUEI_HOME=... line of /etc/ruei.conf (shell syntax, optional quotes); /opt/ruei when absent. */
export function rueiHome(env: NodeJS.ProcessEnv = process.env): string {
  let text: string;
  try {
    text = readFileSync(rueiConfPath(env), 'utf8');
  } catch {
    return DEFAULT_RUEI_HOME;
  }
  let home = DEFAULT_RUEI_HOME;
  for (const line of text.split('\n')) {
    const match = /^\s*(?:export\s+)?RUEI_HOME\s*=\s*(["']?)([^"'#\s]+)\1/.exec(line);
    if (match?.[2]) home = match[2];
  }
  return home;
}

export type Side = 'transmit' | 'receive';

export function defaultConfigPath(side: Side, env: NodeJS.ProcessEnv = process.env): string {
  const file = side === 'transmit' ? 'tunnel.conf' : 'tunnels.conf';
  return `${rueiHome(env)}/tunnel/${side}/conf/${file}`;
}

export function configPath(side: Side, flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.UX_TUNNEL_CONFIG ?? defaultConfigPath(side, env);
}
