// Splits a config file into meaningful lines: strips comments and blanks, and repairs look-alike characters with a warning.
import type { ConfigWarning } from './errors.js';

export interface ConfigLine {
  readonly file: string;
  readonly line: number;
  /** The line as written (without the newline). */
  readonly raw: string;
  /** Whitespace-separated fields after comment removal and dash repair. */
  readonly fields: readonly string[];
}

// Characters that PDFs and word processors put where a user meant "-".
const DASH_LOOKALIKE = /^[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uFE58\uFE63\uFF0D]$/;
// Spaces that look like a space but do not separate fields for a naive parser; treated as a separator.
const SPACE_LOOKALIKE = /[\u00A0\u2000-\u200B\u202F\u205F\u3000\uFEFF]/;
const SPACE_LOOKALIKES = new RegExp(SPACE_LOOKALIKE.source, 'g');

export interface SplitResult {
  readonly lines: ConfigLine[];
  readonly warnings: ConfigWarning[];
}

/**
 * Splits text into config lines. `repairLookalikes` controls whether a look-alike dash standing alone as a field is
 * accepted as "-" (and a look-alike space as a space) with a warning (tunnels.conf: users copy lines from a PDF);
 * without it (tunnel.conf) they are left in the fields for the field parser to reject by name.
 */
export function splitConfigLines(file: string, text: string, repairLookalikes = true): SplitResult {
  const lines: ConfigLine[] = [];
  const warnings: ConfigWarning[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const hash = raw.indexOf('#');
    let body = hash >= 0 ? raw.slice(0, hash) : raw;
    if (repairLookalikes && SPACE_LOOKALIKE.test(body)) {
      warnings.push({ location: { file, line }, message: 'a non-breaking or zero-width space was read as a plain space' });
      body = body.replace(SPACE_LOOKALIKES, ' ');
    }
    let fields = body.trim().split(/[ \t]+/).filter((f) => f !== '');
    if (fields.length === 0) return;
    if (repairLookalikes) {
      fields = fields.map((field, i) => {
        if (DASH_LOOKALIKE.test(field)) {
          warnings.push({
            location: { file, line },
            message: `field ${i + 1}: "${field}" (U+${field.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) read as "-"`,
          });
          return '-';
        }
        return field;
      });
    }
    lines.push({ file, line, raw, fields });
  });
  return { lines, warnings };
}

/** What users paste in by accident, by name: the hint must name the character actually found. */
const CHARACTER_NAMES: ReadonlyMap<number, string> = new Map([
  [0x00a0, 'a non-breaking space'], [0x200b, 'a zero-width space'], [0x202f, 'a narrow non-breaking space'], [0xfeff, 'a byte order mark'],
  [0x2010, 'a hyphen'], [0x2011, 'a non-breaking hyphen'], [0x2012, 'a figure dash'], [0x2013, 'an en dash'], [0x2014, 'an em dash'],
  [0x2015, 'a horizontal bar'], [0x2212, 'a minus sign'], [0xff0d, 'a fullwidth hyphen'],
  [0x2018, 'a curly opening quote'], [0x2019, 'a curly apostrophe'], [0x201c, 'a curly opening double quote'], [0x201d, 'a curly closing double quote'],
  [0xff0c, 'a fullwidth comma'], [0x3001, 'an ideographic comma'], [0x2024, 'a one-dot leader'], [0xff0e, 'a fullwidth full stop'],
]);

/**
 * Names a non-ASCII (or control) character in a field, for "look-alike character" errors: `"–" (U+2013, an en dash)`;
 * null when the field is plain ASCII.
 */
export function nonAsciiCharacter(field: string): string | null {
  for (const ch of field) {
    const code = ch.codePointAt(0)!;
    if (code > 0x7e || code < 0x20) {
      const name = CHARACTER_NAMES.get(code) ?? (code < 0x20 ? 'a control character' : null);
      return `"${ch}" (U+${code.toString(16).toUpperCase().padStart(4, '0')}${name ? `, ${name}` : ''})`;
    }
  }
  return null;
}

/** Whether any line, comments aside, carries the option NAME=... (read without parsing: for checks that must not fail on a broken file). */
export function hasOption(text: string, name: string): boolean {
  return optionValues(text, name).length > 0;
}

/** Every value of the option `name` (NAME=VALUE) in a config's text, comments left out: a lenient scan. */
export function optionValues(text: string, name: string): string[] {
  const option = new RegExp(`(?:^|\\s)${name}=(\\S*)`, 'g');
  return text.split('\n').flatMap((line) => [...line.replace(/#.*$/, '').matchAll(option)].map((m) => m[1]!));
}
