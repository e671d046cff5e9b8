import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigurationError } from '../../errors.ts';
import { releaseFixture } from '../release.fixture.ts';
import { type Release, type ReleaseRecord, stableOf } from '../release.ts';
import { imageRepo, resolveTarget, versionOfImage } from './target.ts';

const digest = (n: number) => `sha256:${String(n).repeat(64)}`;
const image = (n: number) => `reg/acme/iris@${digest(n)}`;

const release = (revision: number, status: Release['status'], extra: Partial<Release> = {}): Release =>
  releaseFixture(revision, status, {
    image: image(revision),
    previousImage: revision > 1 ? image(revision - 1) : null,
    ...extra,
  });

const record = (...releases: Release[]): ReleaseRecord => ({ releases, resourceVersion: '1' });
const resolve = (r: ReleaseRecord, to: string) => resolveTarget(r, to, 'iris', '--to');

describe('where a rollback goes', () => {
  it('previous: the stable version before the release now serving, or in progress', () => {
    const promoted = resolve(record(release(2, 'promoted'), release(1, 'promoted')), 'previous');
    assert.deepEqual(
      [promoted.image, promoted.version, promoted.undo.map((r) => r.revision)],
      [image(1), 'v1', [2]],
    );
    const inFlight = resolve(record(release(2, 'in-progress'), release(1, 'promoted')), 'previous');
    assert.equal(inFlight.image, image(1));
  });

  it('previous skips releases that never served, and after a rollback stays where that rollback went', () => {
    const aborted = resolve(
      record(
        release(3, 'aborted', { previousImage: image(2) }),
        release(2, 'promoted'),
        release(1, 'promoted'),
      ),
      'previous',
    );
    assert.deepEqual([aborted.image, aborted.undo.map((r) => r.revision)], [image(1), [2]]);
    const rolled = record(
      release(3, 'rolled-back', { kind: 'rollback', image: image(1), previousImage: image(2) }),
      release(2, 'promoted', { rolledBackBy: 3 }),
      release(1, 'promoted'),
    );
    const again = resolve(rolled, 'previous');
    assert.deepEqual([again.image, again.undo], [image(1), []]);
    assert.equal(stableOf(rolled)?.revision, 3, 'the next deploy sees the rolled-back-to version as stable');
    const failed = resolve(
      record(
        release(3, 'failed', { kind: 'rollback', image: image(1) }),
        release(2, 'promoted'),
        release(1, 'promoted'),
      ),
      'previous',
    );
    assert.deepEqual(
      [failed.image, failed.undo.map((r) => r.revision)],
      [image(1), [2]],
      'a failed rollback is tried again',
    );
  });

  it('a revision, a version, a digest (with or without the repository)', () => {
    const r = record(release(3, 'promoted'), release(2, 'promoted'), release(1, 'promoted'));
    assert.deepEqual(
      resolve(r, 'r1').undo.map((x) => x.revision),
      [3, 2],
    );
    assert.equal(resolve(r, '2').image, image(2));
    assert.equal(resolve(r, 'v1').image, image(1));
    assert.equal(resolve(r, digest(2)).image, image(2));
    assert.equal(resolve(r, 'other/repo@' + digest(7)).image, `other/repo@${digest(7)}`);
  });

  it('a target the record cannot give is one error that offers a digest', () => {
    const one = (r: ReleaseRecord, to: string) => {
      try {
        resolve(r, to);
      } catch (e) {
        assert.ok(e instanceof ConfigurationError);
        return e.render();
      }
      assert.fail('no error');
    };
    assert.equal(
      one({ releases: [], resourceVersion: undefined }, 'previous'),
      "--to: iris has no release record (ConfigMap iris-modelship-releases), so 'previous' cannot be found. Roll back to a known-good image by digest instead: to: <image>@sha256:…",
    );
    assert.match(
      one({ releases: [], resourceVersion: '4', damaged: true }, 'v1'),
      /is damaged: it no longer parses/,
    );
    assert.match(
      one(record(release(1, 'promoted')), 'previous'),
      /release 1 of iris was its first.*to: reg\/acme\/iris@sha256:…/,
    );
    assert.match(
      one(record(release(2, 'aborted'), release(1, 'promoted')), '2'),
      /never served to the end \(aborted\)\. Pick a promoted release: 1 \(v1\)/,
    );
    assert.match(one(record(release(1, 'promoted')), 'v9'), /no promoted release of iris has version 'v9'/);
    assert.doesNotThrow(
      () => resolve({ releases: [], resourceVersion: undefined }, image(4)),
      'a full digest needs no record',
    );
  });

  it('names of images', () => {
    assert.equal(imageRepo('localhost:5000/acme/iris:v1@sha256:abc'), 'localhost:5000/acme/iris');
    assert.equal(versionOfImage(image(4)), '444444444444');
    assert.equal(versionOfImage('localhost:5000/acme/iris:v3'), 'v3');
  });
});
