import { test } from 'node:test';
import assert from 'node:assert/strict';
import { secretReadableReason, unsafeConfigReason, type PathStat } from './file-safety.js';

const tree = (entries: Record<string, PathStat>) => (path: string): PathStat => {
  const found = entries[path];
  if (!found) throw new Error(`no ${path}`);
  return found;
};
const ROOT_DIRS = { '/': { uid: 0, mode: 0o40755 }, '/etc': { uid: 0, mode: 0o40755 }, '/etc/ux-tunnel': { uid: 0, mode: 0o40755 } };
const FILE = '/etc/ux-tunnel/tunnels.conf';

test('a root-owned file, not writable by others, under root-owned directories is safe', () => {
  assert.equal(unsafeConfigReason(FILE, tree({ ...ROOT_DIRS, [FILE]: { uid: 0, mode: 0o100644 } }), 0), null);
  assert.equal(unsafeConfigReason(FILE, tree({ ...ROOT_DIRS, [FILE]: { uid: 0, mode: 0o100600 } }), 0), null);
});

test('a file writable by group or others is refused, with the chmod that fixes it', () => {
  for (const mode of [0o100666, 0o100664, 0o100646]) {
    const reason = unsafeConfigReason(FILE, tree({ ...ROOT_DIRS, [FILE]: { uid: 0, mode } }), 0);
    assert.match(reason ?? '', new RegExp(`^${FILE} is writable by others than its owner \\(mode 0${(mode & 0o777).toString(8)}\\): .*run chmod go-w ${FILE}$`));
  }
});

test('a file owned by another user is refused for root; a user\'s own copy is accepted for that user', () => {
  const files = tree({ ...ROOT_DIRS, [FILE]: { uid: 1000, mode: 0o100644 } });
  assert.match(unsafeConfigReason(FILE, files, 0) ?? '', /is owned by uid 1000, not root: .*run chown root \/etc\/ux-tunnel\/tunnels\.conf$/);
  assert.equal(unsafeConfigReason(FILE, files, 1000), null);
});

test('a directory above the file that others can write is refused, unless it has the sticky bit (/tmp)', () => {
  const open = unsafeConfigReason(FILE, tree({ ...ROOT_DIRS, '/etc/ux-tunnel': { uid: 0, mode: 0o40777 }, [FILE]: { uid: 0, mode: 0o100644 } }), 0);
  assert.match(open ?? '', /^\/etc\/ux-tunnel \(a directory above \/etc\/ux-tunnel\/tunnels\.conf\) is writable by others .*run chmod go-w \/etc\/ux-tunnel$/);
  const owned = unsafeConfigReason(FILE, tree({ ...ROOT_DIRS, '/etc': { uid: 5, mode: 0o40755 }, [FILE]: { uid: 0, mode: 0o100644 } }), 0);
  assert.match(owned ?? '', /^\/etc \(a directory above .*\) is owned by uid 5/);
  const tmp = tree({ '/': { uid: 0, mode: 0o40755 }, '/tmp': { uid: 0, mode: 0o41777 }, '/tmp/t': { uid: 0, mode: 0o40700 }, '/tmp/t/a.conf': { uid: 0, mode: 0o100644 } });
  assert.equal(unsafeConfigReason('/tmp/t/a.conf', tmp, 0), null);
});

test('a file with a cookie must be readable by its owner alone; a cookie in a comment does not count', () => {
  const text = '10.10.10.10 10.10.10.11 - - cookie=0123456789abcdef\n';
  assert.match(secretReadableReason(FILE, text, 0o100644)!, /holds a tunnel cookie \(a secret\) and is readable by others than its owner \(mode 0644\): run chmod 600/);
  assert.equal(secretReadableReason(FILE, text, 0o100600), null);
  assert.equal(secretReadableReason(FILE, '10.10.10.10 10.10.10.11 - - # cookie=x\n', 0o100644), null);
});
