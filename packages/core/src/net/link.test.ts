import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linkTo, parseLinks } from './link.ts';

describe('Link headers', () => {
  it('reads the pages GitHub and GitLab send', () => {
    const header =
      '<https://api.github.com/repositories/1/issues/42/comments?page=1>; rel="prev", ' +
      '<https://api.github.com/repositories/1/issues/42/comments?page=3>; rel="next", ' +
      '<https://api.github.com/repositories/1/issues/42/comments?page=9>; rel="last"';
    assert.deepEqual(
      parseLinks(header).map((l) => l.rel[0]),
      ['prev', 'next', 'last'],
    );
    assert.equal(
      linkTo(header, 'next', 'https://api.github.com')?.href,
      'https://api.github.com/repositories/1/issues/42/comments?page=3',
    );
    assert.equal(linkTo(header, 'first', 'https://api.github.com'), undefined);
  });

  it('keeps commas and semicolons inside a URL, and reads several relations in one rel', () => {
    const header = '<https://x.example/a?ids=1,2;3>; title="a, b"; rel="next last", </b>; rel=prev';
    assert.deepEqual(parseLinks(header), [
      { target: 'https://x.example/a?ids=1,2;3', rel: ['next', 'last'] },
      { target: '/b', rel: ['prev'] },
    ]);
  });

  it('resolves a relative link against the URL that answered, as the OCI tag list sends it', () => {
    const next = linkTo('</v2/acme/model/tags/list?last=b&n=2>; rel="next"', 'next', 'http://127.0.0.1:5000');
    assert.equal(next?.href, 'http://127.0.0.1:5000/v2/acme/model/tags/list?last=b&n=2');
  });

  it('reads a header repeated in several lines, and ignores what follows a malformed entry', () => {
    assert.equal(linkTo(['</1>; rel="prev"', '</3>; REL="Next"'], 'next', 'http://h')?.pathname, '/3');
    assert.deepEqual(parseLinks('</1>; rel=next, garbage <</2>; rel=next'), [
      { target: '/1', rel: ['next'] },
    ]);
    assert.deepEqual(parseLinks(undefined), []);
  });
});
