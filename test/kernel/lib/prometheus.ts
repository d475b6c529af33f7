// Parses Prometheus exposition text with the reference parser (python3-prometheus-client), not with our own code.
import { exec } from '../../../src/kernel/exec.js';

// Debian's package installs into Debian's python only; a pyenv or venv python3 earlier on PATH would not see it.
const DEBIAN_PYTHON = '/usr/bin/python3';
const PARSE_SCRIPT = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
families = [{"name": f.name, "type": f.type, "help": f.documentation,
             "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]}
            for f in text_string_to_metric_families(sys.stdin.read())]
print(json.dumps(families))
`;

export interface ParsedSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** A family as the parser names it: counters without their _total suffix (their samples keep it). */
export interface ParsedFamily {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: readonly ParsedSample[];
}

/** Throws when the package is missing (never a skip) or when the parser rejects the text. */
export async function parseExposition(text: string): Promise<ParsedFamily[]> {
  // A deadline for a hung parser only: Python's start and import take tens of seconds on a busy emulated CPU (30 s ran out).
  const result = await exec([DEBIAN_PYTHON, '-c', PARSE_SCRIPT], { input: text, timeoutMs: 300_000 });
  if (result.code === 127 || /No module named 'prometheus_client'/.test(result.stderr)) {
    throw new Error(`python3-prometheus-client is not installed for ${DEBIAN_PYTHON} (${result.stderr.trim()}): run scripts/setup.sh`);
  }
  if (result.code !== 0) throw new Error(`prometheus_client rejected the exposition (exit ${result.code}): ${result.stderr.trim()}\n${text}`);
  return JSON.parse(result.stdout) as ParsedFamily[];
}
