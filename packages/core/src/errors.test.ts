import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigurationError, InputError } from './errors.ts';

test("render quotes the user's input exactly, '..' included", () => {
  const cases: [ConfigurationError, string][] = [
    [
      new InputError("data '../data/train.csv' does not exist", {
        where: { path: 'data' },
        fix: 'Check the path.',
      }),
      "data: data '../data/train.csv' does not exist. Check the path.",
    ],
    [
      new InputError("label column 'a..b' is not in 'train.csv'", { fix: 'Columns: a..b, c.' }),
      "label column 'a..b' is not in 'train.csv'. Columns: a..b, c.",
    ],
    [
      new InputError("gate 'accuracy >= 0..5' does not parse at column 16: unexpected character"),
      "gate 'accuracy >= 0..5' does not parse at column 16: unexpected character.",
    ],
    [
      new ConfigurationError('bad value', { where: { file: '../contracts/c.yml', line: 3, column: 5 } }),
      '../contracts/c.yml:3:5: bad value.',
    ],
  ];
  for (const [error, line] of cases) assert.equal(error.render(), line);
});

test('a message that already ends a sentence gets no second full stop', () => {
  assert.equal(
    new ConfigurationError('the file is empty.', { fix: 'Fill it.' }).render(),
    'the file is empty. Fill it.',
  );
  assert.equal(new ConfigurationError('is this a model?').render(), 'is this a model?');
});
