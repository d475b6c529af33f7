import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignedRows } from './table.js';

test('alignedRows pads every column but the last to its widest cell plus two spaces', () => {
  assert.deepEqual(alignedRows([['Interface', 'Rx'], ['ruei-mtun-00000', '5']]), ['[info] Interface        Rx', '[info] ruei-mtun-00000  5']);
});
