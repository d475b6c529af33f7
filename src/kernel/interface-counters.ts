// One interface counter from sysfs (/sys/class/net/DEV/statistics/NAME): a file read, no process.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Throws, naming the file, when the interface is gone or the value is not a counter JSON can carry exactly. */
export function readInterfaceCounter(dev: string, name: string, root = '/sys/class/net'): number {
  const file = join(root, dev, 'statistics', name);
  const text = readFileSync(file, 'utf8').trim();
  const value = Number(text);
  // The kernel's counters are u64; beyond 2^53 a JSON number would no longer be exact.
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(value)) throw new Error(`${file}: "${text.slice(0, 40)}" is not a counter`);
  return value;
}
