// Starts lab/run (the kernel lab VM) with the guest's output shown as it comes; resolves with lab/run's exit status.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { ROOT } from './measure.js';

export function runLab(argv: readonly string[]): Promise<number> {
  return new Promise((done) => {
    const child = spawn(resolve(ROOT, 'lab', 'run'), argv, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('close', (code) => done(code ?? 1));
  });
}
