/**
 * build-image against a real registry (CNCF distribution, Debian's docker-registry) on 127.0.0.1,
 * read back with skopeo; the serve image's own files, extracted, serve the model.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { Registry } from '../packages/core/src/oci/client.ts';
import { sha256Bytes } from '../packages/core/src/oci/digest.ts';
import {
  canonicalJson,
  descriptorOf,
  imageConfig,
  imageIndex,
  imageManifest,
} from '../packages/core/src/oci/image.ts';
import { smallLayer } from '../packages/core/src/oci/tar.ts';
import { MEDIA } from '../packages/core/src/oci/types.ts';
import { startProxy, startRegistry } from './support/registry.ts';
import { CLI, cleanEnv, NODE, ROOT, run, STACK, tempDir } from './support/run.ts';
import { infer, startServe } from './support/serve.ts';

const sh = promisify(execFile);
const MODEL = join(ROOT, 'examples/models/challenger.onnx');

/** A tiny base image for `platforms`, pushed as `base/node:24` (an index when several). */
async function pushBase(host: string, platforms: string[] = ['amd64']) {
  const registry = await Registry.connect(host);
  const manifests = [];
  for (const architecture of platforms) {
    const layer = await smallLayer([{ path: 'etc/base-release', data: `base for ${architecture}\n` }], {
      mtime: 0,
    });
    const config = imageConfig({
      platform: { os: 'linux', architecture },
      env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
      cmd: ['node'],
      diffIds: [layer.diffId],
      created: 0,
    });
    const configD = descriptorOf(MEDIA.ociConfig, config);
    const layerD = { mediaType: MEDIA.ociLayerGzip, digest: layer.digest, size: layer.size };
    const { Readable } = await import('node:stream');
    await registry.pushBlob('base/node', { ...configD, open: () => Readable.from([config]) });
    await registry.pushBlob('base/node', { ...layerD, open: () => Readable.from([layer.gzip]) });
    const manifest = imageManifest({ config: configD, layers: [layerD] });
    await registry.putManifest('base/node', architecture, manifest, MEDIA.ociManifest);
    manifests.push({ ...descriptorOf(MEDIA.ociManifest, manifest), platform: { os: 'linux', architecture } });
  }
  const index = imageIndex(manifests);
  await registry.putManifest('base/node', '24', index, MEDIA.ociIndex);
  return `${host}/base/node:24`;
}

async function build(t: TestContext, args: Record<string, string>, env: Record<string, string> = {}) {
  const dir = await tempDir(t);
  const flags = Object.entries(args).flatMap(([k, v]) => [`--${k}`, v]);
  const r = await run(NODE, [CLI, 'build-image', ...flags], {
    cwd: dir,
    env: cleanEnv({ SOURCE_DATE_EPOCH: '1700000000', ...env }),
  });
  const out = r.code === 0 ? (JSON.parse(r.stdout) as Record<string, string>) : {};
  return { ...r, out, dir };
}

const skopeo = (...args: string[]) => sh('skopeo', args, { maxBuffer: 64 << 20 });

/** Unpacks every layer of an image (via skopeo into an OCI layout) into one root filesystem. */
async function extract(t: TestContext, image: string): Promise<string> {
  const dir = await tempDir(t);
  await skopeo('copy', '--src-tls-verify=false', `docker://${image}`, `oci:${dir}/layout:x`);
  const index = JSON.parse(await readFile(`${dir}/layout/index.json`, 'utf8'));
  const blob = (d: string) => `${dir}/layout/blobs/sha256/${d.slice(7)}`;
  const manifest = JSON.parse(await readFile(blob(index.manifests[0].digest), 'utf8'));
  await mkdir(`${dir}/root`);
  for (const layer of manifest.layers) await sh('tar', ['-xf', blob(layer.digest), '-C', `${dir}/root`]);
  return `${dir}/root`;
}

describe('build-image', () => {
  it('pushes a serve image that skopeo reads, whose files serve the model, with the same digest every time', async (t) => {
    const registry = await startRegistry(t);
    const base = await pushBase(registry.host, ['amd64', 'arm64']);
    const name = `${registry.host}/acme/iris`;
    const report = join(ROOT, 'test/fixtures-evaluate-report.json');
    await writeFile(
      report,
      JSON.stringify({ step: 'evaluate-model', passed: true, metrics: { accuracy: 0.9, f1_macro: 0.89 } }),
    );
    t.after(() => import('node:fs/promises').then((fs) => fs.rm(report, { force: true })));
    const args = {
      model: MODEL,
      name,
      tags: 'v1',
      push: 'true',
      'base-image': base,
      'evaluation-report': report,
      'data-digest': 'sha256:abc',
    };
    const first = await build(t, args);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.out.image!, new RegExp(`^${name}@sha256:[0-9a-f]{64}$`));
    const model = await readFile(MODEL);
    assert.equal(first.out['model-digest'], sha256Bytes(model));

    const inspected = JSON.parse(
      (await skopeo('inspect', '--tls-verify=false', `docker://${name}:v1`)).stdout,
    );
    assert.equal(inspected.Digest, first.out.digest);
    assert.equal(inspected.Architecture, 'amd64');
    const raw = JSON.parse(
      (await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${name}:v1`)).stdout,
    );
    assert.equal(raw.annotations['dev.modelship.model.digest'], sha256Bytes(model));
    assert.equal(raw.annotations['dev.modelship.metrics'], '{"accuracy":0.9,"f1_macro":0.89}');
    assert.equal(raw.annotations['dev.modelship.gates'], 'passed');
    assert.equal(raw.annotations['dev.modelship.data.digest'], 'sha256:abc');
    assert.equal(raw.annotations['org.opencontainers.image.created'], '2023-11-14T22:13:20Z');
    const modelLayer = raw.layers.at(-1);
    assert.equal(modelLayer.mediaType, MEDIA.ociLayer, 'the model layer is not compressed');

    const root = await extract(t, `${name}:v1`);
    assert.deepEqual(
      await readFile(`${root}/models/model.onnx`),
      model,
      'the model inside the layer is byte-equal',
    );
    assert.match(await readFile(`${root}/etc/base-release`, 'utf8'), /base for amd64/);
    assert.deepEqual(
      (await readdir(`${root}/opt/modelship/node_modules/onnxruntime-node/bin/napi-v6/linux`)).sort(),
      ['x64'],
    );
    const served = await startServe(
      t,
      { MODELSHIP_MODEL: `${root}/models/model.onnx`, MODELSHIP_MODEL_NAME: 'iris' },
      [`${root}/opt/modelship/serve.mjs`],
    );
    const answer = await infer(served.url, 'iris', {
      inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }],
    });
    assert.equal(answer.status, 200, 'the files of the image serve the model');

    // Same inputs, same digest; a new version of the same model through a counting proxy sends
    // only its config and manifest (the version is recorded in both), no model bytes.
    const layout = await build(t, { ...args, push: 'false' });
    assert.equal(layout.out.digest, first.out.digest, 'the same inputs give the same digest');
    const proxy = await startProxy(t, registry.host);
    const again = await build(t, { ...args, name: `${proxy.host}/acme/iris`, tags: 'v2' });
    assert.equal(again.code, 0, again.stderr);
    assert.notEqual(again.out.digest, first.out.digest);
    assert.ok(
      Number(again.out['uploaded-bytes']) < 16 * 1024,
      `uploaded ${again.out['uploaded-bytes']} bytes`,
    );
    assert.ok(proxy.received < 64 * 1024, `no model bytes went up (${proxy.received} bytes in all)`);
  });

  it('writes the model alone as an OCI artifact layout, and Triton images', async (t) => {
    const artifact = await build(t, {
      model: MODEL,
      name: 'example.com/acme/iris',
      runtime: 'artifact',
      tags: 'v1,candidate',
    });
    assert.equal(artifact.code, 0, artifact.stderr);
    const bytes = (await readFile(MODEL)).length;
    assert.match(artifact.stderr, new RegExp(`layers\\s+1, ${bytes} B`), 'sizes are for people');
    assert.doesNotMatch(artifact.stderr, /\d(\.\d+)?e-?\d+ ?[KMG]?i?B/);
    const layout = join(artifact.dir, 'modelship-reports/image');
    const raw = JSON.parse((await skopeo('inspect', '--raw', `oci:${layout}:candidate`)).stdout);
    assert.equal(raw.artifactType, 'application/vnd.modelship.model.v1');
    assert.equal(raw.layers[0].digest, sha256Bytes(await readFile(MODEL)));
    assert.equal(sha256Bytes(Buffer.from(JSON.stringify(raw))), sha256Bytes(canonicalJson(raw)));

    const registry = await startRegistry(t);
    const base = await pushBase(registry.host);
    const triton = await build(t, {
      model: MODEL,
      name: 'example.com/acme/iris',
      runtime: 'triton',
      'base-image': base,
    });
    assert.equal(triton.code, 0, triton.stderr);
    const index = JSON.parse(await readFile(join(triton.dir, 'modelship-reports/image/index.json'), 'utf8'));
    const blob = (d: string) => join(triton.dir, 'modelship-reports/image/blobs/sha256', d.slice(7));
    const manifest = JSON.parse(await readFile(blob(index.manifests[0].digest), 'utf8'));
    const { stdout } = await sh('tar', [
      '-xOzf',
      blob(manifest.layers.at(-2).digest),
      'models/iris/config.pbtxt',
    ]);
    assert.match(stdout, /platform: "onnxruntime_onnx"/);
    assert.match(stdout, /name: "input"[\s\S]*data_type: TYPE_FP32[\s\S]*dims: \[ 4 \]/);
    assert.match(stdout, /kind: KIND_GPU/);
  });

  it('gives skopeo commands in its READMEs that work on what it writes', async (t) => {
    // Per layout (`oci:DIR:TAG`), the commands that read it.
    const byLayout = new Map<string, string[]>();
    for (const readme of ['actions/build-image/README.md', 'examples/README.md']) {
      const text = (await readFile(join(ROOT, readme), 'utf8')).replace(/\n\s*/g, ' ');
      for (const m of text.matchAll(/(?:^|[`\s])(skopeo [^`#]*?oci:([^\s`:]+:[\w.-]+))(?=[`\s])/g))
        byLayout.set(m[2]!, [...(byLayout.get(m[2]!) ?? []), m[1]!]);
    }
    assert.ok([...byLayout.values()].flat().length >= 5, JSON.stringify([...byLayout]));
    for (const [layout, commands] of byLayout) {
      const [dir, tag] = layout.split(':') as [string, string];
      const built = await build(t, {
        model: MODEL,
        name: 'ghcr.io/acme/fraud-model',
        runtime: 'artifact',
        tags: tag,
        output: dir,
      });
      assert.equal(built.code, 0, built.stderr);
      for (const command of commands) {
        const ran = await run('skopeo', command.split(/\s+/).slice(1), { cwd: built.dir });
        assert.equal(ran.code, 0, `${command}: ${ran.stderr}`);
      }
    }
  });

  it('authenticates with htpasswd and tokens, and says clearly what the registry refused', async (t) => {
    const basic = await startRegistry(t, { auth: 'htpasswd' });
    const alice = basic.credentials.alice!;
    const ok = await build(t, {
      model: MODEL,
      name: `${basic.host}/acme/iris`,
      runtime: 'artifact',
      push: 'true',
      'registry-username': alice.username,
      'registry-password': alice.password,
    });
    assert.equal(ok.code, 0, ok.stderr);
    const wrong = await build(t, {
      model: MODEL,
      name: `${basic.host}/acme/iris`,
      runtime: 'artifact',
      push: 'true',
      'registry-username': 'alice',
      'registry-password': 'not-the-password-123',
    });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /refused the credentials|credentials/);
    assert.doesNotMatch(wrong.stdout + wrong.stderr, /not-the-password-123/);
    assert.doesNotMatch(wrong.stderr, STACK);

    const token = await startRegistry(t, {
      auth: 'token',
      access: (user, repo, asked) =>
        user === 'alice' || (user === 'bob' && repo.startsWith('public/'))
          ? asked
          : user === 'bob'
            ? asked.filter((a) => a === 'pull')
            : [],
    });
    const pushAs = (who: string, repo: string) =>
      build(t, {
        model: MODEL,
        name: `${token.host}/${repo}`,
        runtime: 'artifact',
        push: 'true',
        'registry-username': who,
        'registry-password': token.credentials[who]!.password,
      });
    assert.equal((await pushAs('alice', 'acme/iris')).code, 0);
    const denied = await pushAs('bob', 'acme/iris');
    assert.equal(denied.code, 2);
    assert.match(denied.stderr, /denied/i);
    assert.match(denied.stderr, /acme\/iris/);

    const down = await build(t, {
      model: MODEL,
      name: '127.0.0.1:9/acme/iris',
      runtime: 'artifact',
      push: 'true',
    });
    assert.equal(down.code, 2);
    assert.match(down.stderr, /could not reach registry 127\.0\.0\.1:9/);
  });

  it('finishes a push through a dropped connection and a 500, with the right digest', async (t) => {
    const registry = await startRegistry(t);
    const dir = await tempDir(t);
    const big = join(dir, 'weights.bin');
    await writeFile(
      big,
      Buffer.alloc(40 << 20, 7).map((_, i) => (i * 2654435761) >>> 24),
    );
    const drop = await startProxy(t, registry.host, { dropAfterBytes: 20 << 20 });
    const dropped = await build(t, {
      model: big,
      name: `${drop.host}/acme/big`,
      runtime: 'artifact',
      push: 'true',
    });
    assert.equal(dropped.code, 0, dropped.stderr);
    assert.equal(drop.drops, 1);
    const fail = await startProxy(t, registry.host, { failOnce: { method: 'PATCH', status: 500 } });
    const failed = await build(t, {
      model: big,
      name: `${fail.host}/other/big`,
      runtime: 'artifact',
      push: 'true',
    });
    assert.equal(failed.code, 0, failed.stderr);
    assert.equal(fail.failures, 1);
    const inspected = JSON.parse(
      (await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/acme/big:latest`))
        .stdout,
    );
    assert.equal(inspected.layers[0].digest, sha256Bytes(await readFile(big)));
    const other = (
      await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/other/big:latest`)
    ).stdout;
    assert.equal(
      JSON.stringify(JSON.parse(other)),
      JSON.stringify(inspected),
      'the same blob and manifest either way',
    );
    assert.equal(dropped.out.digest, failed.out.digest);
  });

  it('refuses bad inputs with one clear line', async (t) => {
    const registry = await startRegistry(t);
    const armOnly = await pushBase(registry.host, ['arm64']);
    const cases: [Record<string, string>, RegExp][] = [
      [{ model: 'nope.onnx', name: 'example.com/a/b' }, /model 'nope.onnx' does not exist/],
      [
        { model: MODEL, name: 'example.com/a/b', tags: 'v1, -bad tag' },
        /tags\[1\]: tag '-bad tag' is not a valid tag/,
      ],
      [{ model: MODEL, name: 'Example.com/A//b' }, /name/],
      [{ model: MODEL, name: 'example.com/a/b:v1' }, /carries a tag/],
      [
        { model: MODEL, name: 'example.com/a/b', 'base-image': `${registry.host}/base/none:1` },
        /base image '.*base\/none:1' does not exist/,
      ],
      [
        { model: MODEL, name: 'example.com/a/b', 'base-image': armOnly },
        /has no linux\/amd64 variant.*linux\/arm64/,
      ],
      [{ model: MODEL, name: 'example.com/a/b', attest: 'true' }, /attest: attest needs a pushed image/],
      [
        { model: MODEL, name: 'example.com/a/b', attest: 'true', push: 'true' },
        /attest works on GitHub Actions only, not on local/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await build(t, args);
      assert.equal(r.code, 2, `${JSON.stringify(args)}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, STACK);
    }
  });

  it('refuses a model serve and triton cannot run, in one line, before fetching anything', async (t) => {
    const dir = await tempDir(t);
    const model = await readFile(MODEL);
    const files = {
      empty: join(dir, 'empty.onnx'),
      text: join(dir, 'weights.onnx'),
      truncated: join(dir, 'truncated.onnx'),
      directory: join(dir, 'models.onnx'),
      missing: join(dir, 'missing.onnx'),
    };
    await writeFile(files.empty, '');
    await writeFile(files.text, 'version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 9\n');
    await writeFile(files.truncated, model.subarray(0, model.length >> 1));
    await mkdir(files.directory);
    const expected: Record<keyof typeof files, RegExp> = {
      empty: /\(0 bytes\) is not a valid ONNX model.*Check that the file is complete/,
      text: /is not a valid ONNX model.*Check that the file is complete/,
      truncated: /is not a valid ONNX model.*Check that the file is complete/,
      directory: /is not a file\. Give the path of an \.onnx file/,
      missing: /does not exist\. Give the path of an \.onnx file/,
    };
    for (const [kind, file] of Object.entries(files) as [keyof typeof files, string][]) {
      const said: string[] = [];
      for (const runtime of ['serve', 'triton']) {
        // An unreachable base: the model must be refused before the base is looked for.
        const r = await build(t, {
          model: file,
          name: 'example.com/a/b',
          runtime,
          'base-image': '127.0.0.1:9/b/n:1',
        });
        assert.equal(r.code, 2, `${kind} ${runtime}: ${r.stderr}`);
        const lines = r.stderr.split('\n').filter((l) => l.includes(file));
        assert.equal(lines.length, 1, `${kind} ${runtime}: one line names the file\n${r.stderr}`);
        assert.match(lines[0]!, expected[kind]);
        assert.doesNotMatch(r.stderr, /127\.0\.0\.1:9|PASSED/);
        assert.doesNotMatch(r.stderr, STACK);
        said.push(lines[0]!);
      }
      assert.equal(said[0], said[1], `${kind}: serve and triton check the model the same way`);
    }
    for (const kind of ['directory', 'missing'] as const) {
      const r = await build(t, { model: files[kind], name: 'example.com/a/b', runtime: 'artifact' });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, kind === 'directory' ? /is not a file/ : /does not exist/);
    }
    const anyFile = await build(t, { model: files.text, name: 'example.com/a/b', runtime: 'artifact' });
    assert.equal(anyFile.code, 0, `an artifact may be any file: ${anyFile.stderr}`);
  });

  it('writes the layout whole or not at all, and never over a directory of other files', async (t) => {
    const registry = await startRegistry(t);
    const base = await pushBase(registry.host);
    const dir = await tempDir(t);
    const out = join(dir, 'image');
    const first = await build(t, { model: MODEL, name: 'example.com/a/b', runtime: 'artifact', output: out });
    assert.equal(first.code, 0, first.stderr);
    const index = await readFile(join(out, 'index.json'));

    // The base's layer is gone from its registry: the write fails after the config was read.
    const manifest = JSON.parse(
      (await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/base/node:amd64`))
        .stdout,
    );
    const layer = manifest.layers[0].digest;
    const deleted = await fetch(`${registry.url}/v2/base/node/blobs/${layer}`, { method: 'DELETE' });
    assert.equal(deleted.status, 202);
    for (const output of [out, join(dir, 'fresh')]) {
      const failed = await build(t, { model: MODEL, name: 'example.com/a/b', 'base-image': base, output });
      assert.notEqual(failed.code, 0, failed.stderr);
      assert.doesNotMatch(failed.stderr, /PASSED/);
    }
    assert.deepEqual(await readFile(join(out, 'index.json')), index, 'the earlier layout is untouched');
    assert.deepEqual(await readdir(dir), ['image'], 'no half-written layout, no staging directory');

    const src = join(dir, 'src');
    await mkdir(src);
    await writeFile(join(src, 'train.py'), 'print(1)\n');
    const refused = await build(t, {
      model: MODEL,
      name: 'example.com/a/b',
      'base-image': '127.0.0.1:9/b/n:1',
      output: src,
    });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr,
      /--output '.*src' cannot be written: it is a directory with other files in it, not an OCI image layout/,
    );
    assert.doesNotMatch(refused.stderr, STACK);
    assert.deepEqual(await readdir(src), ['train.py']);
  });

  it('lists versions, promotes a digest to a stage and remembers who held it before', async (t) => {
    const registry = await startRegistry(t);
    const name = `${registry.host}/acme/iris`;
    const digests: string[] = [];
    for (const [i, epoch] of ['1700000000', '1700000100'].entries()) {
      const r = await build(
        t,
        { model: MODEL, name, runtime: 'artifact', push: 'true', tags: `v${i + 1}` },
        { SOURCE_DATE_EPOCH: epoch },
      );
      assert.equal(r.code, 0, r.stderr);
      digests.push(r.out.digest!);
    }
    const versions = (...args: string[]) =>
      run(NODE, [CLI, 'versions', ...args, '--name', name], { env: cleanEnv() });
    const list = JSON.parse((await versions('list')).stdout);
    assert.deepEqual(
      list.map((v: { tags: string[] }) => v.tags),
      [['v2'], ['v1']],
      'newest first',
    );
    assert.equal((await versions('promote', '--digest', digests[0]!, '--stage', 'production')).code, 0);
    const second = JSON.parse(
      (await versions('promote', '--digest', digests[1]!, '--stage', 'production')).stdout,
    );
    assert.equal(second.previous, digests[0]);
    const shown = JSON.parse((await versions('show', '--stage', 'production')).stdout);
    assert.equal(shown.digest, digests[1]);
    const history = JSON.parse((await versions('history', '--stage', 'production')).stdout);
    assert.deepEqual(
      history.map((h: { digest: string; previous: string | null }) => [h.digest, h.previous]),
      [
        [digests[1], digests[0]],
        [digests[0], null],
      ],
    );
    const missing = await versions(
      'promote',
      '--digest',
      `sha256:${'0'.repeat(64)}`,
      '--stage',
      'production',
    );
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /is not in the registry/);
  });
});
