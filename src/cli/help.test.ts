import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandUsage, findCommand, globalUsage, groupUsage, unknownCommand } from './help.js';
import { RECEIVE_HELP } from './receive/commands.js';
import { TRANSMIT_HELP } from './transmit/commands.js';

test('each command has its own help: usage, what it does, its options and an example', () => {
  const add = findCommand(RECEIVE_HELP, ['config', 'add', '10.10.10.10', '10.10.10.13'])!;
  const text = commandUsage(RECEIVE_HELP, add);
  assert.match(text, /^usage: ux-tunnel-receive config add RECEIVING-IP TRANSMIT-IP \[TUNNEL-ID\] \[OPTIONS\]\n/);
  assert.match(text, /--dry-run +print the exact commands/);
  assert.match(text, /example:\n {2}ux-tunnel-receive config add 10\.10\.10\.10 10\.10\.10\.13\n$/);
  assert.notEqual(commandUsage(RECEIVE_HELP, findCommand(RECEIVE_HELP, ['status'])!), text, 'not the same text for every command');
  assert.match(commandUsage(RECEIVE_HELP, findCommand(RECEIVE_HELP, ['diag', 'traffic', 'servers'])!), /--interface IF .*\n.*--time S .*default 30/, 'the receive side\'s diag options are listed');
});

test('the global usage lists every command of each side; a group alone lists its subcommands', () => {
  for (const help of [RECEIVE_HELP, TRANSMIT_HELP]) {
    const usage = globalUsage(help);
    for (const c of help.commands) assert.ok(usage.includes(c.words.join(' ')), `${help.program} ${c.words.join(' ')}`);
  }
  assert.match(groupUsage(RECEIVE_HELP, ['diag'])!, /diag traffic servers.*\n.*diag tunnels check.*\n.*diag monitor detect/);
  assert.match(unknownCommand(RECEIVE_HELP, ['firewall']).message, /^ux-tunnel-receive firewall takes a subcommand:\n.*firewall open/);
});

test('typos get a suggestion', () => {
  assert.match(unknownCommand(TRANSMIT_HELP, ['strat']).message, /unknown command "strat": did you mean "start"\?/);
  assert.match(unknownCommand(RECEIVE_HELP, ['relaod']).message, /did you mean "reload"\?/);
  assert.match(unknownCommand(RECEIVE_HELP, ['config', 'rm', '10.0.0.1']).message, /unknown command "config rm 10\.0\.0\.1"; ux-tunnel-receive config takes a subcommand:\n.*config add.*\n.*config remove/);
  assert.doesNotMatch(unknownCommand(RECEIVE_HELP, ['frobnicate']).message, /did you mean/, 'no wild guesses');
});
