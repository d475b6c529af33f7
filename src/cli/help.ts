// Help for both executables from one table of commands: the global usage, `COMMAND --help` with the command's own
// options and an example, the subcommands of a group (`diag`, `config`, `firewall`), and "did you mean" for typos.
import { UsageError } from './args.js';
import { versionText } from './version.js';

export interface CommandHelp {
  /** The command's words, e.g. ['config', 'add']. */
  readonly words: readonly string[];
  /** Arguments after the words, e.g. 'RECEIVING-IP TRANSMIT-IP [TUNNEL-ID]'. */
  readonly args?: string;
  readonly summary: string;
  /** Options of this command, [flag, meaning]; --config, --help are common to all. */
  readonly options?: ReadonlyArray<readonly [string, string]>;
  readonly example: string;
}

export interface ProgramHelp {
  readonly program: string;
  readonly configHelp: string;
  readonly commands: readonly CommandHelp[];
}

const name = (c: CommandHelp) => c.words.join(' ');

/** The global usage: every command on one line, then the common options. */
export function globalUsage(help: ProgramHelp): string {
  const width = Math.max(...help.commands.map((c) => name(c).length + (c.args ? c.args.length + 1 : 0)));
  const lines = help.commands.map((c) => `  ${`${name(c)}${c.args ? ` ${c.args}` : ''}`.padEnd(width)}  ${c.summary}`);
  return `usage: ${help.program} [--config FILE] COMMAND [OPTIONS]\n\ncommands:\n${lines.join('\n')}\n\n` +
    `  --config FILE   ${help.configHelp}\n  --help          this text; COMMAND --help: the command's options and an example\n` +
    '  --version       the version, and the Node.js runtime it runs on\n';
}

/** `COMMAND --help`: usage line, what it does, its options, an example. */
export function commandUsage(help: ProgramHelp, command: CommandHelp): string {
  const options = [...(command.options ?? []), ['--config FILE', help.configHelp] as const];
  const width = Math.max(...options.map(([flag]) => flag.length));
  return `usage: ${help.program} ${name(command)}${command.args ? ` ${command.args}` : ''}${command.options?.length ? ' [OPTIONS]' : ''}\n\n${command.summary}\n\noptions:\n` +
    `${options.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`).join('\n')}\n\nexample:\n  ${command.example}\n`;
}

/** The subcommands of a group (`diag`, `config`, `firewall`), for the group typed alone. */
export function groupUsage(help: ProgramHelp, prefix: readonly string[]): string | null {
  const members = help.commands.filter((c) => prefix.every((w, i) => c.words[i] === w) && c.words.length > prefix.length);
  if (members.length === 0) return null;
  const usage = (c: CommandHelp) => `${help.program} ${name(c)}${c.args ? ` ${c.args}` : ''}`;
  const width = Math.max(...members.map((c) => usage(c).length));
  return `${help.program} ${prefix.join(' ')} takes a subcommand:\n${members.map((c) => `  ${usage(c).padEnd(width)}  ${c.summary}`).join('\n')}\n`;
}

/**
 * The command `words` start with (the longest match: ['config', 'add', '10.0.0.1', ...] is `config add`), or null.
 */
export function findCommand(help: ProgramHelp, words: readonly string[]): CommandHelp | null {
  const matches = help.commands.filter((c) => c.words.every((w, i) => words[i] === w));
  return matches.sort((a, b) => b.words.length - a.words.length)[0] ?? null;
}

/** A UsageError for words that are no command: the group's subcommands, or the closest command ("did you mean"). */
export function unknownCommand(help: ProgramHelp, words: readonly string[]): UsageError {
  const typed = words.join(' ');
  for (let n = words.length; n > 0; n--) {
    const group = groupUsage(help, words.slice(0, n));
    if (group && n === words.length) return new UsageError(group.trimEnd());
    if (group) return new UsageError(`unknown command "${typed}"; ${group.trimEnd()}`);
  }
  const candidates = help.commands.map((c) => name(c));
  const scored = candidates.map((c) => ({ c, d: distance(typed, c.slice(0, Math.max(typed.length, c.split(' ')[0]!.length))) }));
  const best = scored.sort((a, b) => a.d - b.d)[0];
  const hint = best && best.d <= Math.max(2, Math.floor(typed.length / 3)) ? `: did you mean "${best.c}"?` : '';
  return new UsageError(`unknown command "${typed}"${hint}`);
}

/**
 * --version, --help (global, a command's, a group's) or no command at all: prints the usage and returns the exit status (0 for
 * asked help, 2 when no command was given); null when there is a command to run.
 */
export function printHelp(help: ProgramHelp, args: { readonly words: readonly string[]; readonly flags: ReadonlyMap<string, unknown> }): number | null {
  const asked = args.flags.has('help');
  if (args.flags.has('version') && !asked) {
    process.stdout.write(versionText(help.program));
    return 0;
  }
  if (args.words.length === 0) {
    process.stdout.write(globalUsage(help));
    return asked ? 0 : 2;
  }
  if (!asked) return null;
  const command = findCommand(help, args.words);
  if (command) {
    process.stdout.write(commandUsage(help, command));
    return 0;
  }
  const group = groupUsage(help, args.words);
  if (group) {
    process.stdout.write(group);
    return 0;
  }
  throw unknownCommand(help, args.words);
}

/** Levenshtein distance (small strings: command names). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
