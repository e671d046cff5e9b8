import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../errors.ts';
import { formatReference, isValidTag, manifestReference, parseReference } from './reference.ts';

const DIGEST = `sha256:${'a1'.repeat(32)}`;

describe('image references, read as docker reads them', () => {
  const cases: [string, ReturnType<typeof parseReference>][] = [
    ['ghcr.io/acme/fraud-model:1.2', { registry: 'ghcr.io', repository: 'acme/fraud-model', tag: '1.2' }],
    [`localhost:5000/a/b@${DIGEST}`, { registry: 'localhost:5000', repository: 'a/b', digest: DIGEST }],
    [
      `registry.example.com/a/b:v1@${DIGEST}`,
      { registry: 'registry.example.com', repository: 'a/b', tag: 'v1', digest: DIGEST },
    ],
    ['ubuntu', { registry: 'docker.io', repository: 'library/ubuntu' }],
    ['ubuntu:22.04', { registry: 'docker.io', repository: 'library/ubuntu', tag: '22.04' }],
    ['acme/model', { registry: 'docker.io', repository: 'acme/model' }],
    ['docker.io/ubuntu', { registry: 'docker.io', repository: 'library/ubuntu' }],
    ['index.docker.io/acme/model:x', { registry: 'docker.io', repository: 'acme/model', tag: 'x' }],
    ['localhost/model', { registry: 'localhost', repository: 'model' }],
    ['127.0.0.1:5000/model:latest', { registry: '127.0.0.1:5000', repository: 'model', tag: 'latest' }],
    ['[::1]:5000/a/b', { registry: '[::1]:5000', repository: 'a/b' }],
    [
      'ghcr.io/acme/a.b_c__d---e/f:_T-1.x',
      { registry: 'ghcr.io', repository: 'acme/a.b_c__d---e/f', tag: '_T-1.x' },
    ],
    ['  ghcr.io/acme/m:1  ', { registry: 'ghcr.io', repository: 'acme/m', tag: '1' }],
  ];
  for (const [text, expected] of cases)
    it(`parses ${text.trim()}`, () => assert.deepEqual(parseReference(text), expected));

  it('formats the full form, registry included, and parses it back', () => {
    assert.equal(formatReference(parseReference('ubuntu:22.04')), 'docker.io/library/ubuntu:22.04');
    for (const [text, ref] of cases) {
      assert.deepEqual(parseReference(formatReference(ref)), ref, text);
    }
    assert.equal(formatReference(parseReference(`a/b:t@${DIGEST}`)), `docker.io/a/b:t@${DIGEST}`);
  });

  it('asks for the digest when pinned, else the tag, else latest', () => {
    assert.equal(manifestReference(parseReference(`a/b:t@${DIGEST}`)), DIGEST);
    assert.equal(manifestReference(parseReference('a/b:t')), 't');
    assert.equal(manifestReference(parseReference('a/b')), 'latest');
  });

  const bad: [string, RegExp][] = [
    ['', /image reference is empty/],
    ['ghcr.io/Acme/model:1', /repository 'Acme\/model' must be lowercase/],
    ['Ubuntu', /must be lowercase/],
    ['ghcr.io/acme/model:-1', /'-1' is not a valid tag/],
    [`ghcr.io/acme/model:${'x'.repeat(129)}`, /is not a valid tag/],
    ['ghcr.io/acme/model@sha256:abc', /'sha256:abc' is not a digest/],
    [`ghcr.io/acme/model@md5:${'a'.repeat(32)}`, /is not a digest/],
    [`a@${DIGEST}@${DIGEST}`, /more than one '@'/],
    ['ghcr.io/acme/-model', /'-model' is not a valid repository path component/],
    ['ghcr.io/acme//model', /has an empty component/],
    ['ghcr.io/acme/model_', /'model_' is not a valid repository path component/],
    ['ghcr.io/', /repository name is missing/],
    ['ghcr.io:99999/a', /'ghcr.io:99999' is not a valid registry host/],
    ['-bad.io/a', /'-bad.io' is not a valid registry host/],
    ['ghcr.io/acme/my model', /whitespace/],
  ];
  for (const [text, message] of bad)
    it(`rejects '${text.slice(0, 40)}' saying why and how a valid one looks`, () => {
      assert.throws(
        () => parseReference(text, 'image'),
        (e: unknown) => {
          assert.ok(e instanceof InputError);
          assert.match(e.message, message);
          assert.equal(e.where?.path, 'image');
          assert.ok(e.fix && e.fix.length > 10);
          return true;
        },
      );
    });

  it('validates tags on their own', () => {
    assert.ok(isValidTag('1.2.3-rc_1'));
    assert.ok(isValidTag('x'.repeat(128)));
    assert.ok(!isValidTag('x'.repeat(129)));
    assert.ok(!isValidTag('.hidden'));
    assert.ok(!isValidTag('a/b'));
    assert.ok(!isValidTag(''));
  });
});
