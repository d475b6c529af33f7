// Shared tc filter blocks: reader of clsact qdiscs (with their ingress_block) and of one block's filters; argv builders.
import type { KernelRunner } from './runner.js';

export interface IngressQdisc {
  readonly dev: string;
  /** "clsact" or "ingress". */
  readonly kind: string;
  /** The shared block the ingress side is bound to; null when it has a private block. */
  readonly ingressBlock: number | null;
}

export interface BlockFilter {
  readonly pref: number;
  readonly kind: string;
  /** For a mirred action: "egress mirror", "ingress redirect", ... */
  readonly mirred: string | null;
  readonly toDev: string | null;
}

interface RawQdisc {
  kind: string;
  dev?: string;
  ingress_block?: number;
}
interface RawFilter {
  pref: number;
  kind: string;
  options?: { actions?: Array<{ kind?: string; mirred_action?: string; direction?: string; to_dev?: string }> };
}

/** The clsact/ingress qdiscs of `tc -j qdisc show` (all devices), keyed by device. */
export function parseIngressQdiscs(json: string): Map<string, IngressQdisc> {
  const found = new Map<string, IngressQdisc>();
  if (json.trim() === '') return found;
  for (const q of JSON.parse(json) as RawQdisc[]) {
    if ((q.kind === 'clsact' || q.kind === 'ingress') && q.dev) found.set(q.dev, { dev: q.dev, kind: q.kind, ingressBlock: q.ingress_block ?? null });
  }
  return found;
}

export async function readIngressQdiscs(runner: KernelRunner): Promise<Map<string, IngressQdisc>> {
  return parseIngressQdiscs((await runner.read(['tc', '-j', 'qdisc', 'show'])).stdout);
}

/** Filters of `tc -j filter show block N`; tc prints each filter's chain head without options, skipped here. */
export function parseBlockFilters(json: string): BlockFilter[] {
  if (json.trim() === '') return [];
  return (JSON.parse(json) as RawFilter[])
    .filter((f) => f.options !== undefined)
    .map((f) => {
      const action = f.options?.actions?.find((a) => a.kind === 'mirred');
      return {
        pref: f.pref,
        kind: f.kind,
        mirred: action ? `${action.direction ?? ''} ${action.mirred_action ?? ''}` : null,
        toDev: action?.to_dev ?? null,
      };
    });
}

/** A shared block exists only while a qdisc is bound to it; "Cannot find block" means no filters. */
export async function readBlockFilters(runner: KernelRunner, block: number): Promise<BlockFilter[]> {
  const result = await runner.probe(['tc', '-j', 'filter', 'show', 'block', String(block)]);
  if (result.code !== 0) {
    if (/Cannot find block/i.test(result.stderr)) return [];
    await runner.read(result.argv);
  }
  return parseBlockFilters(result.stdout);
}

export function addClsactWithBlockArgs(dev: string, block: number): string[] {
  return ['qdisc', 'add', 'dev', dev, 'ingress_block', String(block), 'clsact'];
}

export function delQdiscArgs(dev: string, kind: string): string[] {
  return ['qdisc', 'del', 'dev', dev, kind];
}

/** One matchall filter in a shared block that copies every frame to `toDev` (egress: the frame is sent on toDev). */
export function addBlockMirrorArgs(block: number, pref: number, toDev: string): string[] {
  return ['filter', 'add', 'block', String(block), 'pref', String(pref), 'protocol', 'all', 'matchall', 'action', 'mirred', 'egress', 'mirror', 'dev', toDev];
}

export function delBlockFilterArgs(block: number, pref: number): string[] {
  return ['filter', 'del', 'block', String(block), 'pref', String(pref)];
}
