import assert from 'node:assert/strict';
import { it } from 'node:test';
import { NestingGuard } from './json-nesting.ts';

const fits = (text: string, max: number, pieces = 1) => {
  const guard = new NestingGuard(max);
  const bytes = Buffer.from(text);
  const size = Math.ceil(bytes.length / pieces);
  for (let at = 0; at < bytes.length; at += size)
    if (!guard.feed(bytes.subarray(at, at + size))) return false;
  return true;
};

it('counts nesting on the bytes, whatever strings hold and wherever the text is split', () => {
  assert.equal(fits('{"a":[[1,2],[3]]}', 3), true);
  assert.equal(fits('{"a":[[[1]]]}', 3), false);
  assert.equal(fits('[{"x":"[[[[{{{{"}]', 2), true, 'brackets in a string do not count');
  assert.equal(fits('["\\"[[[[", "é[", "\\\\"]', 1), true, 'escaped quotes and backslashes');
  assert.equal(fits('["\\\\", [[]]]', 2), false, 'a string ending in a backslash ends');
  for (let pieces = 1; pieces < 12; pieces++) {
    assert.equal(fits('{"s":"a\\"[[[b","d":[[0]]}', 3, pieces), true, `${pieces} pieces`);
    assert.equal(fits('{"s":"a\\"[[[b","d":[[[0]]]}', 3, pieces), false, `${pieces} pieces`);
  }
  assert.equal(fits('['.repeat(100_000), 36), false);
});
