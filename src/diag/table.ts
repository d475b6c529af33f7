// Vendor-style report lines: "[info] " prefixed rows whose columns are aligned (two spaces after the widest cell).

export const INFO = '[info] ';
export const WARN = '[warn] ';

/** Formats a header row and data rows; every column but the last is padded to its widest cell plus two spaces. */
export function alignedRows(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => INFO + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]! + 2))).join(''));
}
