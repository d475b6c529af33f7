import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureError, captureLive, explainTcpdumpFailure, readCaptureFile, SNAPLEN, tcpdumpArgv } from './capture.js';
import { ServerCounter } from './servers.js';
import { pcapFile, synAckV4 } from './test-frames.js';

test('tcpdump writes pcap to stdout, packet by packet, headers only; -c and -Q in only when asked', () => {
  assert.deepEqual(tcpdumpArgv({ interface: 'ruei-mtun', filter: 'ip proto 115', seconds: 30, maxPackets: 0 }), [
    'tcpdump', '-i', 'ruei-mtun', '-w', '-', '-U', '--immediate-mode', '-n', '-s', String(SNAPLEN), 'ip proto 115',
  ]);
  const argv = tcpdumpArgv({ interface: 'any', filter: 'F', seconds: 5, maxPackets: 1000, inboundOnly: true });
  assert.deepEqual(argv.slice(-5), ['-Q', 'in', '-c', '1000', 'F']);
});

test("tcpdump's errors are turned into what to do", () => {
  // The texts are tcpdump 4.99's own (seen on this project's machines).
  assert.match(explainTcpdumpFailure('ruei-mtun', 'tcpdump: ruei-mtun: No such device exists\n(No such device exists)', 1),
    /^interface 'ruei-mtun' does not exist: check the name with "ip link"/);
  assert.match(explainTcpdumpFailure('lo', "tcpdump: lo: You don't have permission to perform this capture on that device\n(socket: Operation not permitted)", 1),
    /^capturing on 'lo' needs root .*sudo/);
  assert.match(explainTcpdumpFailure('eth9', 'tcpdump: eth9: That device is not up', 1), /^interface 'eth9' is down: bring it up \(ip link set eth9 up\)/);
  assert.match(explainTcpdumpFailure('eth0', 'tcpdump: syntax error in filter expression', 1), /rejected the capture filter/);
  assert.equal(explainTcpdumpFailure('eth0', 'tcpdump: something odd\nmore', 2), "tcpdump failed on 'eth0' (exit 2): tcpdump: something odd | more");
});

test('--read of a missing, empty, pcapng or truncated file: a plain-words error or a note, never a stack trace', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'uxt-capture-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const sink = new ServerCounter(-1);
  await assert.rejects(readCaptureFile(join(dir, 'none.pcap'), sink), (e: Error) => e instanceof CaptureError && /no such file/.test(e.message));
  await assert.rejects(readCaptureFile(dir, sink), (e: Error) => e instanceof CaptureError && /directory/.test(e.message));
  await writeFile(join(dir, 'empty.pcap'), '');
  await assert.rejects(readCaptureFile(join(dir, 'empty.pcap'), sink), /empty\.pcap: empty capture/);
  await writeFile(join(dir, 'ng.pcap'), Buffer.concat([Buffer.from('0a0d0d0a', 'hex'), Buffer.alloc(60)]));
  await assert.rejects(readCaptureFile(join(dir, 'ng.pcap'), sink), /pcapng/);
  await writeFile(join(dir, 'odd.pcap'), pcapFile([Buffer.alloc(20)], { linkType: 147 }));
  await assert.rejects(readCaptureFile(join(dir, 'odd.pcap'), sink), /link type 147 is not supported/);
  const whole = pcapFile([synAckV4('10.0.0.1', 80, '10.0.0.2', 1), synAckV4('10.0.0.1', 80, '10.0.0.2', 2)], { linkType: 1 });
  await writeFile(join(dir, 'cut.pcap'), whole.subarray(0, whole.length - 5));
  const result = await readCaptureFile(join(dir, 'cut.pcap'), sink);
  assert.equal(result.records, 1);
  assert.equal(result.truncatedBytes, 16 + 54 - 5);
});

test('a live capture without tcpdump installed says to install it', async (t) => {
  const path = process.env.PATH;
  t.after(() => (process.env.PATH = path));
  process.env.PATH = '/nonexistent';
  await assert.rejects(
    captureLive({ interface: 'lo', filter: 'tcp', seconds: 1, maxPackets: 0 }, new ServerCounter(-1)),
    (e: Error) => e instanceof CaptureError && /^tcpdump is not installed: install the tcpdump package/.test(e.message),
  );
});

const ORIGINAL_PATH = process.env.PATH;

// A stand-in tcpdump (first on PATH) that behaves like the real one at its edges: "listening on" on stderr, pcap on
// stdout, then waits for SIGINT and exits 0. The kernel tests run the real tcpdump; this pins the runner's logic.
async function fakeTcpdump(t: TestContext, script: string, pcap: Buffer): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'uxt-fake-tcpdump-'));
  t.after(async () => {
    process.env.PATH = ORIGINAL_PATH;
    delete process.env.UXT_FAKE_PCAP;
    await rm(dir, { recursive: true, force: true });
  });
  await writeFile(join(dir, 'capture.pcap'), pcap);
  await writeFile(join(dir, 'tcpdump'), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  process.env.PATH = `${dir}:${ORIGINAL_PATH}`;
  process.env.UXT_FAKE_PCAP = join(dir, 'capture.pcap');
}

const LISTENING = `trap 'exit 0' INT\necho "tcpdump: listening on fake0, link-type EN10MB (Ethernet), snapshot length 192 bytes" >&2\ncat "$UXT_FAKE_PCAP"`;
const WAIT = 'while :; do sleep 0.05; done';
const threeSynAcks = () => pcapFile([1, 2, 3].map((i) => synAckV4('10.0.0.1', 80, '10.0.0.2', 40000 + i)), { linkType: 1 });

test('a live capture ends at its time limit and reports every frame tcpdump wrote', async (t) => {
  await fakeTcpdump(t, `${LISTENING}\n${WAIT}`, threeSynAcks());
  const sink = new ServerCounter(-1);
  const result = await captureLive({ interface: 'fake0', filter: 'tcp', seconds: 0.5, maxPackets: 0 }, sink);
  assert.equal(result.stoppedBy, 'time');
  assert.equal(result.matched, 3);
  assert.deepEqual(sink.rows(), [{ ip: '10.0.0.1', family: 4, port: 80, connections: 3 }]);
});

test('a live capture ends at its packet limit, long before its time limit', async (t) => {
  await fakeTcpdump(t, `${LISTENING}\n${WAIT}`, threeSynAcks());
  const started = Date.now();
  const result = await captureLive({ interface: 'fake0', filter: 'tcp', seconds: 60, maxPackets: 2 }, new ServerCounter(-1));
  assert.equal(result.stoppedBy, 'packets');
  assert.equal(result.matched, 2);
  assert.ok(Date.now() - started < 10_000);
});

test('tcpdump failing before or after it listens becomes a CaptureError in plain words', async (t) => {
  await fakeTcpdump(t, 'echo "tcpdump: fake0: No such device exists" >&2\necho "(No such device exists)" >&2\nexit 1', Buffer.alloc(0));
  await assert.rejects(captureLive({ interface: 'fake0', filter: 'tcp', seconds: 5, maxPackets: 0 }, new ServerCounter(-1)),
    (e: Error) => e instanceof CaptureError && /^interface 'fake0' does not exist/.test(e.message));
  await fakeTcpdump(t, `${LISTENING}\necho "tcpdump: pcap_loop: The interface disappeared" >&2\nexit 1`, threeSynAcks());
  await assert.rejects(captureLive({ interface: 'fake0', filter: 'tcp', seconds: 5, maxPackets: 0 }, new ServerCounter(-1)),
    (e: Error) => e instanceof CaptureError && /^tcpdump failed on 'fake0' \(exit 1\): .*The interface disappeared/.test(e.message));
});
