import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { releaseFixture } from './release.fixture.ts';
import { nextRevision, type Release, stableOf, withRelease } from './release.ts';

const release = (revision: number, status: Release['status'] = 'promoted'): Release =>
  releaseFixture(revision, status, { version: String(revision) });

describe('the release record', () => {
  it('keeps the newest `keep` releases, newest first, and replaces a revision written twice', () => {
    let all: Release[] = [];
    for (let r = 1; r <= 5; r++) all = withRelease(all, release(r, 'in-progress'), 3);
    all = withRelease(all, release(5, 'aborted'), 3);
    assert.deepEqual(
      all.map((r) => [r.revision, r.status]),
      [
        [5, 'aborted'],
        [4, 'in-progress'],
        [3, 'in-progress'],
      ],
    );
    assert.equal(nextRevision({ releases: all, resourceVersion: undefined }), 6);
  });

  it('the stable release is the newest promoted one, skipping failures', () => {
    const rec = { releases: [release(3, 'aborted'), release(2), release(1)], resourceVersion: '1' };
    assert.equal(stableOf(rec)?.revision, 2);
  });
});
