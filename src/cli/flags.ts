// The value-taking --flags of each command family, apart from the commands, so main can parse argv before importing any.
export const TRAFFIC_VALUE_FLAGS = ['interface', 'time', 'max-packets', 'read'] as const;
export const MONITOR_VALUE_FLAGS = ['time', 'read', 'interface'] as const;
export const FIREWALL_VALUE_FLAGS = ['zone'] as const;
export const MONITOR_RUN_VALUE_FLAGS = ['loss-warn', 'metrics-listen'] as const;
export const STATUS_VALUE_FLAGS = ['interval', 'sample'] as const;
export const PIN_VALUE_FLAGS = ['source-pinning'] as const;
/** config add's options of the new line (--cookie, --udp). */
export const COOKIE_VALUE_FLAGS = ['cookie', 'udp'] as const;
