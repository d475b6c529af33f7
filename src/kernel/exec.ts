// The only place in ux-tunnel that starts processes: every ip, tc, tcpdump, modprobe call goes through here.
import { spawn, type ChildProcess } from 'node:child_process';

export interface ExecResult {
  readonly argv: readonly string[];
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  /** Written to the child's standard input, which is then closed. */
  readonly input?: string;
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

/** A command that exited non-zero (or could not start); the message names the command and quotes its stderr. */
export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly code: number,
    readonly stderr: string,
  ) {
    const detail = stderr.trim().split('\n').slice(-3).join(' | ');
    super(`command failed (exit ${code}): ${formatArgv(argv)}${detail ? `: ${detail}` : ''}`);
    this.name = 'CommandError';
  }
}

/** Runs argv to completion and collects its output; never throws for a non-zero exit (see CommandError for that). */
export function exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    if (!file) throw new Error('exec: empty argv');
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      timeout: options.timeoutMs,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      const reason = e.code === 'ENOENT' ? `${file}: command not found` : e.message;
      resolve({ argv, code: 127, stdout: '', stderr: reason });
    });
    child.on('close', (code, signal) => {
      resolve({
        argv,
        code: code ?? (signal ? 128 + 15 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => undefined); // the child may exit before reading its input
    child.stdin.end(options.input ?? '');
  });
}

/** Like exec, but throws CommandError on a non-zero exit. */
export async function execOrThrow(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const result = await exec(argv, options);
  if (result.code !== 0) throw new CommandError(argv, result.code, result.stderr);
  return result;
}

/** Starts a long-running child whose stdout is consumed as a stream (tcpdump -w -); stdin is ignored. */
export function spawnStream(argv: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess {
  const [file, ...args] = argv;
  if (!file) throw new Error('spawnStream: empty argv');
  return spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
}

/** Starts a detached child that outlives this process (the keepalive sender under systemd's control). */
export function spawnDetached(argv: readonly string[], logFile?: number): number | undefined {
  const [file, ...args] = argv;
  if (!file) throw new Error('spawnDetached: empty argv');
  const child = spawn(file, args, { detached: true, stdio: ['ignore', logFile ?? 'ignore', logFile ?? 'ignore'] });
  child.unref();
  return child.pid;
}

/** Shell-style rendering of argv, for messages and --dry-run output. */
export function formatArgv(argv: readonly string[]): string {
  return redactSecrets(argv).map(quoteWord).join(' ');
}

/** The words whose next word is a secret (an L2TPv3 cookie): never shown in `[#]` lines, --dry-run, logs or errors. */
const SECRET_KEYWORDS = new Set(['cookie', 'peer_cookie']);
export const HIDDEN = '<hidden>';

/** argv with every secret replaced by HIDDEN: for display only, never for running. */
export function redactSecrets(argv: readonly string[]): readonly string[] {
  if (argv[0] !== 'ip' || !argv.includes('l2tp')) return argv;
  return argv.map((word, i) => (i > 0 && SECRET_KEYWORDS.has(argv[i - 1]!) ? HIDDEN : word));
}

function quoteWord(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
