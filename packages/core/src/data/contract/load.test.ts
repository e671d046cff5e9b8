import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigurationError } from '../../errors.ts';
import { parseContract } from './load.ts';
import { MAX_DEPTH } from './yaml.ts';

function fails(text: string): ConfigurationError {
  try {
    parseContract(text, 'c.yml');
  } catch (e) {
    assert.ok(e instanceof ConfigurationError, String(e));
    return e;
  }
  assert.fail('expected a configuration error');
}

describe('contract loading', () => {
  it('normalises rules, severities and locations', () => {
    const c = parseContract(
      `severity: warning
columns:
  age:
    type: integer
    min: { value: 0, severity: error }
    max: 120
  name: { type: string, regex: '^[A-Z]', required: false }
dataset:
  rows: { min: 10 }
drift: { test: ks, severity: warning }
`,
      'c.yml',
    );
    const age = c.columns[0]!;
    assert.deepEqual(age.min && { v: age.min.value, s: age.min.severity, line: age.min.where.line }, {
      v: 0,
      s: 'error',
      line: 5,
    });
    assert.equal(age.max?.severity, 'warning');
    assert.equal(c.columns[1]!.required.value, false);
    assert.equal(c.rows?.min, 10);
    assert.equal(age.drift?.test, 'ks');
    assert.equal(c.columns[1]!.drift, undefined, 'ks does not apply to strings');
  });

  it('bad YAML names the line', () => {
    const e = fails('columns:\n  a: { type: integer\n');
    assert.match(e.render(), /^c\.yml:\d+:\d+: invalid YAML/);
  });

  it('an unknown key names its line, the key path, and suggests the right key', () => {
    const e = fails('columns:\n  a:\n    type: integer\n    nulable: false\n');
    assert.equal(
      e.render(),
      "c.yml:4:5: columns.a.nulable: unknown key 'nulable'. Did you mean 'nullable'? Valid keys here: type, description, required, nullable, max_null_fraction, min, max, allowed, regex, unique, severity, drift.",
    );
  });

  it('a wrong type of value says what the key accepts', () => {
    const e = fails('columns:\n  a:\n    type: integr\n');
    assert.match(
      e.render(),
      /^c\.yml:3:11: columns\.a\.type: invalid value .*Expected one of integer, number, string/,
    );
    const f = fails('columns:\n  a: { type: number, min: [1] }\n');
    assert.match(f.render(), /columns\.a\.min: invalid value .*Expected a number/);
  });

  it('a label or leakage column the contract does not declare is a configuration error', () => {
    const e = fails('columns:\n  species: { type: category }\ndataset:\n  label: { column: specie }\n');
    assert.match(
      e.render(),
      /^c\.yml:4:20: dataset\.label\.column: dataset\.label\.column names column 'specie'.*Did you mean 'species'\?/,
    );
  });

  it('rules that do not fit the column type are rejected where they are written', () => {
    assert.match(
      fails('columns:\n  a: { type: string, min: 1 }\n').render(),
      /c\.yml:2:27: .*min and max do not apply/,
    );
    assert.match(fails('columns:\n  a: { type: number, regex: x }\n').render(), /regex does not apply/);
    assert.match(
      fails('columns:\n  a: { type: number, drift: chi2 }\n').render(),
      /chi2' needs a categorical column/,
    );
    assert.match(
      fails('columns:\n  a: { type: category, drift: ks }\n').render(),
      /'ks' needs a numeric column/,
    );
    assert.match(
      fails('columns:\n  a: { type: number, min: 5, max: 1 }\n').render(),
      /min must not exceed max/,
    );
  });

  it('a missing columns section and duplicate check ids are caught', () => {
    assert.match(fails('dataset: {}\n').render(), /missing required key 'columns'/);
    const dup = fails(
      'columns: { a: { type: integer } }\nchecks:\n  - { id: x, query: select 1 }\n  - { id: x, query: select 2 }\n',
    );
    assert.match(dup.render(), /two checks share the id 'x'/);
  });

  it('an empty file is not a contract', () => {
    assert.match(fails('').render(), /must be a YAML mapping/);
  });

  describe('hostile or broken YAML is one line with its place, never a crash', () => {
    const oneLine = (text: string, expected: RegExp) => {
      const line = fails(text).render();
      assert.match(line, expected);
      assert.doesNotMatch(line, /\n/);
    };

    it('an alias bomb ("billion laughs") stops at the alias limit', () => {
      let bomb = 'a: &a [x, x, x, x, x, x, x, x, x, x]\n';
      for (let i = 1; i < 10; i++) {
        const [name, prev] = [String.fromCharCode(97 + i), String.fromCharCode(96 + i)];
        bomb += `${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]\n`;
      }
      oneLine(
        `${bomb}columns: { a: { type: integer } }\n`,
        /^c\.yml:2:\d+: .*aliases expand to more than 100 copies/,
      );
    });

    it('an alias with no anchor names itself', () => {
      oneLine(
        'columns:\n  a: { type: integer, allowed: *vals }\n',
        /^c\.yml:2:32: alias '\*vals' names no anchor/,
      );
    });

    it('nesting deep enough to exhaust the stack is refused at its limit', () => {
      // `columns:` and its mapping are two of the levels.
      const limit = `columns: ${'['.repeat(MAX_DEPTH - 2)}${']'.repeat(MAX_DEPTH - 2)}\n`;
      assert.doesNotMatch(fails(limit).render(), /nests deeper/, 'the limit itself parses');
      for (const depth of [MAX_DEPTH + 2, 20_000, 200_000]) {
        oneLine(
          `columns: ${'['.repeat(depth)}${']'.repeat(depth)}\n`,
          /^c\.yml:1:\d+: the contract nests deeper than 64 levels/,
        );
        oneLine(`columns: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}\n`, /nests deeper than 64 levels/);
      }
      oneLine(`columns:\n  ${'- '.repeat(20_000)}1\n`, /^c\.yml:2:\d+: the contract nests deeper/);
      const block = Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i + 2)}a:\n`).join('');
      oneLine(`columns:\n${block}`, /^c\.yml:\d+:\d+: the contract nests deeper/);
    });

    it('duplicate keys, tabs and several documents each say how to fix them', () => {
      oneLine(
        'columns:\n  a: { type: integer }\ncolumns:\n  b: { type: string }\n',
        /^c\.yml:3:1: duplicate key 'columns'\. Each key may appear once/,
      );
      oneLine(
        'columns:\n\ta: { type: integer }\n',
        /^c\.yml:2:1: invalid YAML: .*Indent with spaces, not tabs/,
      );
      oneLine(
        'columns: { a: { type: integer } }\n---\nx: 1\n',
        /^c\.yml:2:1: the contract holds more than one YAML document/,
      );
    });

    it('a root that is not a mapping says what it is', () => {
      oneLine('- a\n- b\n', /^c\.yml:1:1: the contract is a list; it must be a YAML mapping/);
      oneLine('"just text"\n', /the contract is a string/);
    });

    it('binary junk or text that is not UTF-8 is named as such', () => {
      const junk = Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256)).toString('utf8');
      oneLine(junk, /^c\.yml:1:1: the contract is not YAML text: it contains the control character U\+0000/);
      const latin1 = Buffer.from('columns:\n  a: { type: integer, description: "caf\xe9" }\n', 'latin1');
      oneLine(latin1.toString('utf8'), /^c\.yml:2:\d+: .*a byte that is not UTF-8/);
    });
  });
});
