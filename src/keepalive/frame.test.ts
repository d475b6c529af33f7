import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeKeepalive, encodeKeepalive, KEEPALIVE_MAX_BYTES, type DecodedKeepalive, type Keepalive, type SenderCounters } from './frame.js';

const COUNTERS: SenderCounters = {
  mirrored: 1200,
  mirrorDrops: 2,
  sent: 1190,
  sentBytes: 1_534_020,
  errors: 1,
  drops: 7,
  chain: {
    'ruei-veth1in': { txErrors: 0, txDropped: 3 },
    'ruei-veth1out': { rxErrors: 1, rxDropped: 4 },
    'ruei-br1': { txErrors: 0, txDropped: 0 },
    'ruei-tun1': { txPackets: 1190, txBytes: 1_534_020, txErrors: 0, txDropped: 0 },
  },
};
const V2: Keepalive = { tunnelId: 168430091, host: 'web1', seq: 3, time: '2026-11-23T20:00:00.000Z', interval: 20, local: '10.10.10.11', counters: COUNTERS };

/** "UXTK", the version byte, then the body as given (a string is written as is, anything else as JSON). */
function frame(version: number, body: unknown): Buffer {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return Buffer.concat([Buffer.from('UXTK', 'latin1'), Buffer.from([version]), Buffer.from(text, 'utf8')]);
}

/** V2 as a plain object with one field (a path such as "counters.chain.ruei-tun1.txBytes") replaced or deleted. */
function withField(path: string, value: unknown, remove = false): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(V2)) as Record<string, unknown>;
  const keys = path.split('.');
  let at = copy;
  for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
  if (remove) delete at[keys[keys.length - 1]!];
  else at[keys[keys.length - 1]!] = value;
  return copy;
}

test('a v2 keepalive round-trips; its bytes are UXTK, version 2, then JSON with local and counters', () => {
  const bytes = encodeKeepalive(V2);
  assert.equal(bytes.subarray(0, 5).toString('hex'), '5558544b02');
  assert.deepEqual(JSON.parse(bytes.subarray(5).toString()), V2);
  assert.deepEqual(decodeKeepalive(bytes), { version: 2, ...V2 });
  assert.ok(bytes.length < 600, `a v2 frame is ${bytes.length} bytes`);
});

test('local and counters are optional: a v2 frame without them decodes without them', () => {
  const { local: _local, counters: _counters, ...base } = V2;
  const decoded = decodeKeepalive(encodeKeepalive(base));
  assert.deepEqual(decoded, { version: 2, ...base });
  assert.equal(decoded !== null && 'counters' in decoded, false);
  assert.deepEqual(decodeKeepalive(encodeKeepalive({ ...base, local: '192.0.2.1' })), { version: 2, ...base, local: '192.0.2.1' });
});

test('a v1 frame still decodes, without local and counters (in v1 they are unknown fields)', () => {
  const v1 = { tunnelId: 7, host: 'h', seq: 1, time: 't', interval: 20 };
  assert.deepEqual(decodeKeepalive(frame(1, v1)), { version: 1, ...v1 });
  assert.deepEqual(decodeKeepalive(frame(1, { ...v1, local: 'not an address', counters: { tx: 5 } })), { version: 1, ...v1 });
});

test('a later version is read for the fields it shares with v2; unknown fields are dropped', () => {
  const later = { ...withField('counters.chain.ruei-tun1.rxPackets', 9), extra: [1, 2], tunnelId: 0 };
  assert.deepEqual(decodeKeepalive(frame(3, later)), { version: 3, ...V2, tunnelId: 0 });
  assert.deepEqual(decodeKeepalive(frame(255, later))?.version, 255);
});

test('payloads that are not keepalives at all are null', () => {
  const cases: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['HTTP', Buffer.from('GET / HTTP/1.1\r\n')],
    ['wrong magic', Buffer.concat([Buffer.from('UXTL'), encodeKeepalive(V2).subarray(4)])],
    ['lower-case magic', Buffer.concat([Buffer.from('uxtk'), encodeKeepalive(V2).subarray(4)])],
    ['magic only', Buffer.from('UXTK')],
    ['magic and version only', frame(2, '')],
    ['version 0', frame(0, V2)],
    ['bad JSON', frame(1, '{not json')],
    ['trailing garbage', frame(2, `${JSON.stringify(V2)}x`)],
    ['invalid UTF-8', Buffer.concat([frame(2, '{"host":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])],
    ['UTF-8 BOM', Buffer.concat([frame(2, ''), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(V2))])],
    ['JSON array', frame(2, [V2])],
    ['JSON string', frame(2, '"UXTK"')],
    ['JSON number', frame(2, '42')],
    ['JSON null', frame(2, 'null')],
    ['oversized', frame(2, { ...V2, pad: 'x'.repeat(KEEPALIVE_MAX_BYTES) })],
  ];
  for (const [name, bytes] of cases) assert.equal(decodeKeepalive(bytes), null, name);
  // Exactly at the limit it is still read: the limit is on the payload, not on its JSON.
  const fill = (n: number) => frame(2, { ...V2, pad: 'x'.repeat(n) });
  const n = KEEPALIVE_MAX_BYTES - fill(0).length;
  assert.equal(fill(n).length, KEEPALIVE_MAX_BYTES);
  assert.equal(decodeKeepalive(fill(n))?.seq, 3);
  assert.equal(decodeKeepalive(fill(n + 1)), null);
});

test('a frame with any known field missing or of the wrong type is null', () => {
  const bad: Array<[string, unknown]> = [
    ['tunnelId', -1], ['tunnelId', 2 ** 32], ['tunnelId', 1.5], ['tunnelId', '7'], ['tunnelId', null],
    ['host', 7], ['host', null], ['host', 'h'.repeat(256)], ['host', ['web1']],
    ['seq', 0], ['seq', -3], ['seq', 2.5], ['seq', 2 ** 53], ['seq', '3'],
    ['time', 1700000000], ['time', null], ['time', {}],
    ['interval', 0], ['interval', -20], ['interval', '20'], ['interval', null],
    ['local', '10.10.10'], ['local', '10.10.10.256'], ['local', '010.10.10.11'], ['local', ' 10.10.10.11'], ['local', 168430091], ['local', null], ['local', 'fe80::1'],
    ['counters', null], ['counters', []], ['counters', 5], ['counters', { tx: 5 }],
    ['counters.mirrored', -1], ['counters.mirrorDrops', 1.5], ['counters.sent', '1190'], ['counters.sentBytes', 2 ** 53],
    ['counters.errors', null], ['counters.drops', true], ['counters.chain', null], ['counters.chain', []],
    ['counters.chain.ruei-br1', null], ['counters.chain.ruei-veth1in', { txErrors: 0 }],
    ['counters.chain.ruei-veth1out.rxDropped', -4], ['counters.chain.ruei-tun1.txBytes', 1e300],
  ];
  for (const [path, value] of bad) assert.equal(decodeKeepalive(frame(2, withField(path, value))), null, `${path} = ${JSON.stringify(value)}`);
  const required = ['tunnelId', 'host', 'seq', 'time', 'interval', ...['mirrored', 'mirrorDrops', 'sent', 'sentBytes', 'errors', 'drops', 'chain'].map((f) => `counters.${f}`)];
  for (const path of [...required, 'counters.chain.ruei-tun1', 'counters.chain.ruei-tun1.txPackets']) {
    assert.equal(decodeKeepalive(frame(2, withField(path, undefined, true))), null, `without ${path}`);
  }
  // JSON has no Infinity, but an out-of-range literal parses as one.
  assert.equal(decodeKeepalive(frame(2, JSON.stringify(V2).replace('"interval":20', '"interval":1e400'))), null);
  // Boundaries that are valid.
  assert.equal(decodeKeepalive(frame(2, withField('tunnelId', 2 ** 32 - 1)))?.tunnelId, 2 ** 32 - 1);
  assert.equal(decodeKeepalive(frame(2, withField('interval', 0.1)))?.interval, 0.1);
  assert.equal(decodeKeepalive(frame(2, withField('host', 'h'.repeat(255))))?.host.length, 255);
  assert.equal(decodeKeepalive(frame(2, withField('counters.sentBytes', 2 ** 53 - 1)))?.counters?.sentBytes, 2 ** 53 - 1);
});

test('JSON keys that name Object.prototype members are plain unknown fields', () => {
  const text = JSON.stringify(V2).replace('{', '{"__proto__":{"local":"x"},"constructor":1,');
  assert.deepEqual(decodeKeepalive(frame(2, text)), { version: 2, ...V2 });
  const v2Bare = JSON.stringify(withField('local', undefined, true)).replace('{', '{"__proto__":{"local":"x","counters":{}},');
  assert.equal(decodeKeepalive(frame(2, v2Bare))?.local, undefined);
});

/** Throws unless k has exactly the fields and types the format promises. */
function assertWellTyped(k: DecodedKeepalive): void {
  const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const keysAre = (o: object, keys: string[]) => assert.deepEqual(Object.keys(o).sort(), [...keys].sort());
  assert.ok(Number.isInteger(k.version) && k.version >= 1 && k.version <= 255);
  assert.ok(Number.isInteger(k.tunnelId) && k.tunnelId >= 0 && k.tunnelId <= 0xffffffff);
  assert.ok(typeof k.host === 'string' && k.host.length <= 255);
  assert.ok(Number.isSafeInteger(k.seq) && k.seq >= 1);
  assert.equal(typeof k.time, 'string');
  assert.ok(typeof k.interval === 'number' && Number.isFinite(k.interval) && k.interval > 0);
  keysAre(k, ['version', 'tunnelId', 'host', 'seq', 'time', 'interval', ...(k.local !== undefined ? ['local'] : []), ...(k.counters !== undefined ? ['counters'] : [])]);
  if (k.local !== undefined) assert.match(k.local, /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/);
  if (k.counters === undefined) return;
  const c = k.counters;
  keysAre(c, ['mirrored', 'mirrorDrops', 'sent', 'sentBytes', 'errors', 'drops', 'chain']);
  for (const v of [c.mirrored, c.mirrorDrops, c.sent, c.sentBytes, c.errors, c.drops]) assert.ok(count(v));
  keysAre(c.chain, ['ruei-veth1in', 'ruei-veth1out', 'ruei-br1', 'ruei-tun1']);
  for (const entry of Object.values(c.chain)) for (const v of Object.values(entry)) assert.ok(count(v));
  keysAre(c.chain['ruei-tun1'], ['txPackets', 'txBytes', 'txErrors', 'txDropped']);
  keysAre(c.chain['ruei-veth1out'], ['rxErrors', 'rxDropped']);
}

/** mulberry32: a small seeded PRNG, so a failing case can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('fuzz: 20,000 random and mutated payloads never throw and never decode to wrong-typed fields', () => {
  const random = prng(0x75787475);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const valid = encodeKeepalive(V2);
  const header = valid.subarray(0, 5);
  const tokens = ['{', '}', '[', ']', ':', ',', '"', '"tunnelId"', '"host"', '"seq"', '"time"', '"interval"', '"local"', '"counters"', '"chain"',
    '"ruei-tun1"', '"txBytes"', '"mirrored"', '"__proto__"', '0', '1', '-1', '20', '1.5', '1e400', '9007199254740993', 'null', 'true', 'false', '"x"', '"10.0.0.1"', ' ', '\\u0000', '\u00e9'];
  const values = [null, true, 0, -1, 1.5, 2 ** 32, 2 ** 53, '', 'x', '10.0.0.1', [], {}, { txBytes: 1 }, 'h'.repeat(300)];
  const paths = ['tunnelId', 'host', 'seq', 'time', 'interval', 'local', 'counters', 'counters.sent', 'counters.chain', 'counters.chain.ruei-br1', 'counters.chain.ruei-tun1.txBytes'];
  const payloads: Buffer[] = [];
  // Truncation at every length: only the whole frame is a keepalive.
  for (let n = 0; n < valid.length; n++) {
    assert.equal(decodeKeepalive(valid.subarray(0, n)), null, `truncated to ${n} bytes`);
    payloads.push(valid.subarray(0, n));
  }
  while (payloads.length < 20_000) {
    const kind = int(5);
    if (kind === 0) {
      const bytes = Buffer.alloc(int(601));
      for (let i = 0; i < bytes.length; i++) bytes[i] = int(256);
      payloads.push(bytes);
    } else if (kind === 1) {
      const bytes = Buffer.from(valid);
      for (let flips = 1 + int(4); flips > 0; flips--) bytes[int(bytes.length)] = int(256);
      payloads.push(bytes);
    } else if (kind === 2) {
      let text = '';
      for (let n = int(80); n > 0; n--) text += pick(tokens);
      payloads.push(Buffer.concat([header.subarray(0, 4), Buffer.from([pick([0, 1, 2, 3, 255])]), Buffer.from(text, 'utf8')]));
    } else if (kind === 3) {
      payloads.push(frame(pick([1, 2, 3]), withField(pick(paths), pick(values), random() < 0.2)));
    } else {
      const random400 = Buffer.alloc(int(400));
      for (let i = 0; i < random400.length; i++) random400[i] = int(256);
      payloads.push(Buffer.concat([header, random400]));
    }
  }
  let decoded = 0;
  for (const [i, payload] of payloads.entries()) {
    let k: DecodedKeepalive | null;
    try {
      k = decodeKeepalive(payload);
    } catch (error) {
      assert.fail(`payload ${i} (${payload.toString('hex')}) threw: ${(error as Error).message}`);
    }
    if (k === null) continue;
    decoded++;
    assertWellTyped(k);
  }
  // The mutations must reach the field checks, not only the magic test: some of them still are keepalives.
  assert.ok(decoded > 100, `${decoded} of ${payloads.length} decoded`);
});
