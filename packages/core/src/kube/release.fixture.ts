/** A release as the record holds one, for the unit tests of the record and of rollback targets. */
import type { Release } from './release.ts';

export const releaseFixture = (
  revision: number,
  status: Release['status'] = 'promoted',
  extra: Partial<Release> = {},
): Release => ({
  revision,
  status,
  app: 'iris',
  image: `r/iris:${revision}`,
  version: `v${revision}`,
  previousImage: null,
  strategy: 'rolling',
  startedAt: '',
  finishedAt: null,
  actor: null,
  commit: null,
  runUrl: null,
  reason: null,
  steps: [],
  facts: null,
  stage: null,
  ...extra,
});
