import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { versionsRoute } from '../traffic/gateway-api.ts';
import { asVersion, parseVersions, podsFor, VERSION_LABEL, versionOfImage } from './versions.ts';

const render = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as Error & { render(): string }).render();
  }
  return 'accepted';
};

describe('the versions strategy', () => {
  it('reads name=weight lists that add up to 100, and refuses the rest in one line', () => {
    assert.deepEqual(parseVersions(['v7=80', ' v8 = 20% '], '--versions'), [
      { name: 'v7', weight: 80 },
      { name: 'v8', weight: 20 },
    ]);
    assert.equal(
      render(() => parseVersions(['v7=80', 'v8=30'], '--versions')),
      '--versions: the weights add up to 110, not 100. Write versions like: v7=80, v8=20 (weights add up to 100).',
    );
    assert.match(
      render(() => parseVersions(['v7=50', 'v7=50'], '--versions')),
      /version v7 is listed twice/,
    );
    assert.match(
      render(() => parseVersions(['V7:80'], '--versions')),
      /'V7:80' is not name=weight/,
    );
  });

  it('rounds shares to pods: nearest for the replicas router, up for gateway-api, none at 0', () => {
    assert.equal(podsFor(4, 80, false), 3);
    assert.equal(podsFor(4, 20, false), 1);
    assert.equal(podsFor(4, 10, false), 1, 'a share above 0 keeps a pod');
    assert.equal(podsFor(4, 30, true), 2);
    assert.equal(podsFor(4, 0, true), 0);
  });

  it("finds this image's version: the one not running, else the one its tag names; refuses two new ones", () => {
    const list = parseVersions(['v7=80', 'v8=20'], '--versions');
    assert.equal(versionOfImage(list, new Set(['v7']), 'abc', '--versions'), 'v8');
    assert.equal(versionOfImage(list, new Set(['v7', 'v8']), 'v7', '--versions'), 'v7');
    assert.match(
      render(() => versionOfImage(list, new Set(), 'abc', '--versions')),
      /^--versions: versions v7 and v8 are not running, and one deploy brings up one version\. Deploy them one at a time/,
    );
    assert.match(
      render(() => versionOfImage(list, new Set(['v7', 'v8']), 'abc', '--versions')),
      /every version listed runs already, and none is named abc \(the image's tag\)/,
    );
  });

  it('gives each version its own Deployment, and the route a header rule per version before the split', () => {
    const d = asVersion(
      {
        metadata: { name: 'iris' },
        spec: {
          selector: { matchLabels: { app: 'iris' } },
          template: { metadata: { labels: { app: 'iris', 'modelship.dev/track': 'stable' } } },
        },
      },
      'v8',
      2,
    );
    assert.equal(d.metadata?.name, 'iris-v8');
    assert.equal(d.metadata?.labels?.[VERSION_LABEL], 'v8', 'a later deploy finds it by this label');
    assert.deepEqual(d.spec.selector.matchLabels, { app: 'iris', [VERSION_LABEL]: 'v8' });
    assert.deepEqual(d.spec.template.metadata.labels, { app: 'iris', [VERSION_LABEL]: 'v8' });
    const route = versionsRoute(
      { app: 'iris', namespace: 'm', service: { spec: { ports: [{ port: 80 }] } } },
      [
        { name: 'v7', weight: 80 },
        { name: 'v8', weight: 20 },
      ],
      { name: 'public', namespace: 'infra' },
    );
    assert.deepEqual(route.spec.rules, [
      {
        matches: [{ headers: [{ name: 'x-model-version', value: 'v7' }] }],
        backendRefs: [{ name: 'iris-v7', port: 80 }],
      },
      {
        matches: [{ headers: [{ name: 'x-model-version', value: 'v8' }] }],
        backendRefs: [{ name: 'iris-v8', port: 80 }],
      },
      {
        backendRefs: [
          { name: 'iris-v7', port: 80, weight: 80 },
          { name: 'iris-v8', port: 80, weight: 20 },
        ],
      },
    ]);
  });
});
