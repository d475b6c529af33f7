import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFile, writeRunFile } from './run-files.js';

test('run files are root-only: the directory 0700 and each file 0600, even over a leftover temporary file', () => {
  const base = mkdtempSync(join(tmpdir(), 'uxt-run-'));
  try {
    const file = runFile('transmit-keepalive.json', { UX_TUNNEL_RUN_DIR: join(base, 'run') });
    assert.equal(writeRunFile(file, '{"a":1}'), null);
    assert.equal(statSync(join(base, 'run')).mode & 0o777, 0o700);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    writeFileSync(`${file}.tmp`, 'old', { mode: 0o644 });
    assert.equal(writeRunFile(file, '{"a":2}'), null);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8'), '{"a":2}');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a run file that cannot be written is reported, not thrown', () => {
  const base = mkdtempSync(join(tmpdir(), 'uxt-run-'));
  try {
    writeFileSync(join(base, 'plain'), ''); // a file where the directory should be
    assert.match(writeRunFile(join(base, 'plain', 'x.json'), '{}') ?? '', /^cannot write .*\/plain\/x\.json: E[A-Z]+: /);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
