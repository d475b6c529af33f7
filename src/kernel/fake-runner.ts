// A scripted KernelRunner for unit tests of planners and commands: answers reads from a table, records changes.
import { CommandError, type ExecResult } from './exec.js';
import { argvOf, type Operation } from '../plan/operation.js';
import type { KernelRunner } from './runner.js';

export interface FakeRunner extends KernelRunner {
  /** Every operation apply() received, in order, as command lines. */
  readonly applied: string[];
  /** Every read or probe, as command lines. */
  readonly reads: string[];
}

/** `answers` maps a command line ("nft -j list ruleset") to its result; unknown commands exit 1 ("not found"). */
export function fakeRunner(answers: Record<string, Partial<ExecResult>>, dryRun = false): FakeRunner {
  const applied: string[] = [];
  const reads: string[] = [];
  const answer = (argv: readonly string[]): ExecResult => {
    const line = argv.join(' ');
    reads.push(line);
    const scripted = answers[line];
    return { argv, code: scripted ? (scripted.code ?? 0) : 1, stdout: scripted?.stdout ?? '', stderr: scripted?.stderr ?? (scripted ? '' : `${argv[0]}: not scripted`) };
  };
  return {
    dryRun,
    applied,
    reads,
    async read(argv) {
      const result = answer(argv);
      if (result.code !== 0) throw new CommandError(argv, result.code, result.stderr);
      return result;
    },
    async probe(argv) {
      return answer(argv);
    },
    async apply(operations: readonly Operation[]) {
      applied.push(...operations.map((o) => argvOf(o).join(' ')));
      return operations.length;
    },
  };
}
