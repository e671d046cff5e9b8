import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../errors.ts';
import { sha256Bytes } from './digest.ts';
import {
  artifactManifest,
  canonicalJson,
  descriptorOf,
  EMPTY_JSON,
  imageConfig,
  imageIndex,
  imageManifest,
  layerCompression,
  parseConfig,
  parseManifest,
  parsePlatform,
  pickPlatform,
  sourceDateEpoch,
} from './image.ts';
import { MEDIA } from './types.ts';

const D = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

/** The shape of a Docker Hub base config (node:24-slim, trimmed). */
const dockerBase = {
  architecture: 'amd64',
  os: 'linux',
  created: '2025-01-01T00:00:00.123Z',
  container_config: { Hostname: 'leaks-the-builder' },
  config: {
    Env: ['PATH=/usr/local/bin:/usr/bin', 'NODE_VERSION=24.0.0'],
    Entrypoint: ['docker-entrypoint.sh'],
    Cmd: ['node'],
    WorkingDir: '/',
    Labels: { maintainer: 'node' },
  },
  rootfs: { type: 'layers', diff_ids: [D(1), D(2)] },
  history: [{ created: '2025-01-01T00:00:00Z', created_by: 'ADD rootfs' }, { created_by: 'RUN npm' }],
};

describe('canonical JSON', () => {
  it('sorts keys at every depth, drops undefined and has no whitespace', () => {
    const a = canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: 'x' } });
    assert.equal(a.toString(), '{"a":{"c":"x","d":[3,{"z":1}]},"b":1}');
  });
});

describe('imageConfig', () => {
  const options = {
    env: { NODE_VERSION: '24.21.0', MODEL_NAME: 'iris' },
    entrypoint: ['node', '/app/server.js'],
    exposedPorts: [8080, '9090/udp'],
    workingDir: '/app',
    labels: { 'org.opencontainers.image.revision': 'abc' },
    diffIds: [D(3), D(4)],
    created: 0,
  };

  it('builds on a Docker base: settings merged, layers and history appended, cmd cleared by a new entrypoint', () => {
    const bytes = imageConfig({ base: dockerBase, ...options });
    assert.ok(bytes.equals(imageConfig({ base: structuredClone(dockerBase), ...options })), 'deterministic');
    const c = JSON.parse(bytes.toString());
    assert.equal(c.created, '1970-01-01T00:00:00Z');
    assert.equal(c.container_config, undefined, 'nothing of the base build leaks in');
    assert.deepEqual(c.config.Env, [
      'PATH=/usr/local/bin:/usr/bin',
      'NODE_VERSION=24.21.0',
      'MODEL_NAME=iris',
    ]);
    assert.deepEqual(c.config.Entrypoint, ['node', '/app/server.js']);
    assert.equal(c.config.Cmd, undefined);
    assert.deepEqual(c.config.ExposedPorts, { '8080/tcp': {}, '9090/udp': {} });
    assert.deepEqual(c.config.Labels, { maintainer: 'node', 'org.opencontainers.image.revision': 'abc' });
    assert.deepEqual(c.rootfs, { type: 'layers', diff_ids: [D(1), D(2), D(3), D(4)] });
    assert.equal(c.history.length, 4);
    assert.deepEqual(c.history[3], { created: '1970-01-01T00:00:00Z', created_by: 'modelship' });
    assert.equal(bytes.toString(), canonicalJson(c).toString(), 'keys sorted, no whitespace');
  });

  it('builds from scratch with a platform, and refuses one the base is not', () => {
    const c = JSON.parse(
      imageConfig({
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        cmd: ['serve'],
        diffIds: [D(5)],
        created: 1_700_000_000,
        history: [{ created_by: 'model', comment: 'weights' }],
      }).toString(),
    );
    assert.equal(c.created, '2023-11-14T22:13:20Z');
    assert.deepEqual([c.os, c.architecture, c.variant], ['linux', 'arm64', 'v8']);
    assert.deepEqual(c.config, { Cmd: ['serve'] });
    assert.deepEqual(c.history, [
      { created: '2023-11-14T22:13:20Z', created_by: 'model', comment: 'weights' },
    ]);
    assert.throws(
      () =>
        imageConfig({ base: dockerBase, platform: parsePlatform('linux/arm64'), diffIds: [], created: 0 }),
      InputError,
    );
    assert.doesNotThrow(() =>
      imageConfig({ base: dockerBase, platform: parsePlatform('linux/amd64'), diffIds: [], created: 0 }),
    );
  });
});

describe('manifests', () => {
  const config = descriptorOf(MEDIA.ociConfig, Buffer.from('{"os":"linux"}'));
  const layer = { mediaType: MEDIA.ociLayerGzip, digest: D(6), size: 10 };

  it('writes an OCI image manifest', () => {
    const m = JSON.parse(imageManifest({ config, layers: [layer], annotations: { a: 'b' } }).toString());
    assert.deepEqual(m, {
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config,
      layers: [layer],
      annotations: { a: 'b' },
    });
    assert.throws(
      () => imageManifest({ config: { ...config, digest: 'sha256:nope' }, layers: [] }),
      /malformed/,
    );
  });

  it('writes an artifact with the empty config, and the empty layer when it has none', () => {
    assert.equal(EMPTY_JSON.descriptor.digest, sha256Bytes(EMPTY_JSON.data));
    const m = JSON.parse(
      artifactManifest({ artifactType: 'application/vnd.modelship.version.v1+json', layers: [] }).toString(),
    );
    assert.equal(m.mediaType, MEDIA.ociManifest);
    assert.equal(m.artifactType, 'application/vnd.modelship.version.v1+json');
    assert.deepEqual(m.config, EMPTY_JSON.descriptor);
    assert.deepEqual(m.layers, [EMPTY_JSON.descriptor]);
  });

  it('writes an index', () => {
    const entry = {
      ...descriptorOf(MEDIA.ociManifest, Buffer.from('{}')),
      platform: { os: 'linux', architecture: 'amd64' },
    };
    assert.deepEqual(JSON.parse(imageIndex([entry]).toString()), {
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: [entry],
    });
  });
});

describe('base images', () => {
  it('reads Docker and OCI manifests and indexes, keeping descriptors as they are', () => {
    const dockerLayer = { mediaType: MEDIA.dockerLayerGzip, digest: D(7), size: 3, urls: undefined };
    const docker = parseManifest(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.dockerManifest,
        config: { mediaType: MEDIA.dockerConfig, digest: D(8), size: 4 },
        layers: [dockerLayer],
      }),
    );
    assert.equal(docker.kind, 'manifest');
    assert.equal(docker.format, 'docker');
    if (docker.kind === 'manifest') assert.equal(docker.layers[0]?.mediaType, MEDIA.dockerLayerGzip);
    // OCI manifests may leave mediaType out; the registry's Content-Type says it then.
    const oci = parseManifest(
      JSON.stringify({ schemaVersion: 2, manifests: [] }),
      `${MEDIA.ociIndex}; charset=utf-8`,
    );
    assert.deepEqual(oci, { kind: 'index', format: 'oci', mediaType: MEDIA.ociIndex, manifests: [] });
    assert.throws(() => parseManifest('{"schemaVersion":1,"fsLayers":[]}'), InputError);
    assert.throws(() => parseManifest('not json'), InputError);
    assert.throws(() => parseManifest('{"mediaType":"application/vnd.example+json"}'), InputError);
    assert.deepEqual(parseConfig('{"os":"linux"}'), { os: 'linux' });
    assert.equal(layerCompression(MEDIA.dockerLayerGzip), 'gzip');
    assert.equal(layerCompression(MEDIA.ociLayer), 'none');
    assert.equal(layerCompression('application/vnd.oci.image.layer.v1.tar+zstd'), 'zstd');
  });

  const index = {
    schemaVersion: 2,
    mediaType: MEDIA.ociIndex,
    manifests: [
      {
        mediaType: MEDIA.ociManifest,
        digest: D(1),
        size: 1,
        platform: { os: 'linux', architecture: 'amd64' },
      },
      {
        mediaType: MEDIA.ociManifest,
        digest: D(2),
        size: 1,
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      },
      {
        mediaType: MEDIA.ociManifest,
        digest: D(3),
        size: 1,
        platform: { os: 'unknown', architecture: 'unknown' },
      },
    ],
  };

  it('picks a platform from an index', () => {
    assert.equal(pickPlatform(index, parsePlatform('linux/amd64'))?.digest, D(1));
    assert.equal(pickPlatform(index, parsePlatform('linux/arm64'))?.digest, D(2));
    assert.equal(pickPlatform(index, parsePlatform('linux/arm64/v8'))?.digest, D(2));
    assert.equal(pickPlatform(index, parsePlatform('linux/x86_64'))?.digest, D(1));
    assert.equal(pickPlatform(index, parsePlatform('linux/s390x')), undefined);
    assert.equal(pickPlatform(index, parsePlatform('linux/arm64/v9')), undefined);
    assert.equal(pickPlatform(index, parsePlatform('windows/amd64')), undefined);
    assert.equal(pickPlatform({}, parsePlatform('linux/amd64')), undefined);
  });

  it('parses platforms and says how to write one', () => {
    assert.deepEqual(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64' });
    assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
    for (const bad of ['', 'linux', 'linux/', 'linux/amd64/v1/x', 'linux amd64', '/amd64']) {
      assert.throws(
        () => parsePlatform(bad),
        (e: unknown) => e instanceof InputError && /linux\/amd64/.test(e.render()),
        bad,
      );
    }
  });

  it('reads SOURCE_DATE_EPOCH', () => {
    assert.equal(sourceDateEpoch({}), 0);
    assert.equal(sourceDateEpoch({ SOURCE_DATE_EPOCH: '1700000000' }), 1_700_000_000);
    assert.throws(() => sourceDateEpoch({ SOURCE_DATE_EPOCH: 'yesterday' }), InputError);
  });
});
