import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numberFlag, parseArgs, stringFlag, UsageError } from './args.js';

test('flags may stand before or after the subcommand', () => {
  for (const argv of [['--config', 'a.conf', 'start', '--dry-run'], ['start', '--config=a.conf', '--dry-run']]) {
    const args = parseArgs(argv, ['config'], ['dry-run', 'json']);
    assert.deepEqual(args.words, ['start']);
    assert.equal(stringFlag(args, 'config'), 'a.conf');
    assert.equal(args.flags.get('dry-run'), true);
  }
});

test('unknown flags and missing values are usage errors', () => {
  assert.throws(() => parseArgs(['start', '--dryrun'], [], ['dry-run']), UsageError);
  assert.throws(() => parseArgs(['start', '--config'], ['config'], []), /needs a value/);
  assert.throws(() => parseArgs(['--json=1'], [], ['json']), /takes no value/);
});

test('numberFlag validates its value', () => {
  const args = parseArgs(['--time', '5', '--max-packets', 'x'], ['time', 'max-packets'], []);
  assert.equal(numberFlag(args, 'time', 30), 5);
  assert.equal(numberFlag(args, 'other', 30), 30);
  assert.throws(() => numberFlag(args, 'max-packets', 1000), /must be a number/);
});
