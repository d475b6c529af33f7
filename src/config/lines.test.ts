import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nonAsciiCharacter, splitConfigLines } from './lines.js';

test('comments and blank lines are dropped, line numbers kept', () => {
  const { lines, warnings } = splitConfigLines('t.conf', '# header\n\n10.0.0.1 10.0.0.2 - -   # trailing\n  \t\n10.0.0.1 10.0.0.3 - 7\n');
  assert.deepEqual(lines.map((l) => [l.line, l.fields]), [
    [3, ['10.0.0.1', '10.0.0.2', '-', '-']],
    [5, ['10.0.0.1', '10.0.0.3', '-', '7']],
  ]);
  assert.deepEqual(warnings, []);
});

test('an en dash standing for "-" is repaired with a warning naming the line and field', () => {
  const { lines, warnings } = splitConfigLines('t.conf', '10.10.10.10 192.168.1.11 \u2013 10.10.10.11\r\n');
  assert.deepEqual(lines[0]!.fields, ['10.10.10.10', '192.168.1.11', '-', '10.10.10.11']);
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.location.line, 1);
  assert.match(warnings[0]!.message, /field 3: "\u2013" \(U\+2013\) read as "-"/);
});

test('without repair, look-alikes stay in the fields for the parser to reject', () => {
  const { lines, warnings } = splitConfigLines('t.conf', '10.0.0.1 10.0.0.2 ens3 i80\u2013i81', false);
  assert.equal(lines[0]!.fields[3], 'i80\u2013i81');
  assert.deepEqual(warnings, []);
  assert.equal(nonAsciiCharacter('i80\u2013i81'), '"\u2013" (U+2013, an en dash)');
  assert.equal(nonAsciiCharacter('\u201d'), '"\u201d" (U+201D, a curly closing double quote)');
  assert.equal(nonAsciiCharacter('\u00e9'), '"\u00e9" (U+00E9)');
  assert.equal(nonAsciiCharacter('i80,i81'), null);
});

test('a non-breaking space separates fields, with a warning', () => {
  const { lines, warnings } = splitConfigLines('t.conf', '10.0.0.1\u00a010.0.0.2 - -');
  assert.deepEqual(lines[0]!.fields, ['10.0.0.1', '10.0.0.2', '-', '-']);
  assert.equal(warnings.length, 1);
});
