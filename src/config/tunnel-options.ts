// Named options after the vendor's positional fields of a tunnel.conf line: NAME=VALUE, each at most once. The
// vendor's lines have no "=", so they stay valid as they are; every option ux-tunnel adds is one more name here.

/** An optional cap on the mirror, enforced in the kernel (a tc police action shared by every mirror filter). */
export interface MirrorBudget {
  /** Mirrored bits per second, in Mbit/s (10^6); null: no byte-rate cap. */
  readonly mbit: number | null;
  /** Mirrored packets per second (a GSO frame counts once, as the kernel sees it at the NIC); null: no cap. */
  readonly pps: number | null;
}

export interface TunnelOptions {
  readonly budget: MirrorBudget | null;
}

export const OPTION_NAMES = ['budget-mbit', 'budget-pps'] as const;

const LIMITS: Record<(typeof OPTION_NAMES)[number], { min: number; max: number; unit: string }> = {
  'budget-mbit': { min: 1, max: 400_000, unit: 'Mbit/s' },
  'budget-pps': { min: 100, max: 100_000_000, unit: 'packets/s' },
};

/** True for a field that is an option (NAME=VALUE) rather than a positional field. */
export const isOptionField = (field: string): boolean => field.includes('=');

/** Parses the NAME=VALUE fields; reports each problem through fail(field, reason) and returns what parsed. */
export function parseTunnelOptions(fields: readonly string[], fail: (field: string, reason: string) => void): TunnelOptions {
  const values = new Map<string, number>();
  for (const field of fields) {
    const eq = field.indexOf('=');
    const name = field.slice(0, eq);
    const value = field.slice(eq + 1);
    const limits = (LIMITS as Record<string, (typeof LIMITS)[keyof typeof LIMITS] | undefined>)[name];
    if (!limits) {
      fail(name || field, `unknown option "${field}": the options are ${OPTION_NAMES.map((n) => `${n}=N`).join(', ')}`);
      continue;
    }
    if (values.has(name)) {
      fail(name, `${name} is given twice: keep one`);
      continue;
    }
    if (!/^[0-9]+$/.test(value) || Number(value) < limits.min || Number(value) > limits.max) {
      fail(name, `"${value}" is not a whole number of ${limits.unit} from ${limits.min} to ${limits.max} (e.g. ${name}=${limits.min * 200})`);
      continue;
    }
    values.set(name, Number(value));
  }
  const mbit = values.get('budget-mbit') ?? null;
  const pps = values.get('budget-pps') ?? null;
  return { budget: mbit === null && pps === null ? null : { mbit, pps } };
}
