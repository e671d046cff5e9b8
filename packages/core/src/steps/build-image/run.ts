/**
 * build-image: the model (and, for `serve`, the modelship server and onnxruntime-node) appended
 * to a base image as deterministic layers, with the facts about the model as annotations; pushed
 * to the registry in `name`, or written as an OCI layout.
 */
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { InputError } from '../../errors.ts';
import { resolveBase } from '../../oci/base.ts';
import { Registry } from '../../oci/client.ts';
import { sha256Bytes } from '../../oci/digest.ts';
import {
  artifactManifest,
  canonicalJson,
  descriptorOf,
  imageConfig,
  imageManifest,
  parsePlatform,
} from '../../oci/image.ts';
import { publish, type Target } from '../../oci/publish.ts';
import { isValidTag, parseReference } from '../../oci/reference.ts';
import { MEDIA } from '../../oci/types.ts';
import type { Platform } from '../../platform/port.ts';
import { writeJson } from '../../report/files.ts';
import type { StepOutcome } from '../types.ts';
import { annotationsOf, buildEpoch } from './annotations.ts';
import { ARTIFACT_CONFIG, ARTIFACT_TYPE, PARTS } from './layers.ts';
import type { BuildImageInputs } from './spec.ts';
import { buildSummary } from './summary.ts';

const DEFAULT_BASE = {
  serve: 'docker.io/library/node:24-slim',
  triton: 'nvcr.io/nvidia/tritonserver:25.01-py3',
};

export async function run(inputs: BuildImageInputs, platform: Platform): Promise<StepOutcome> {
  const ref = parseReference(inputs.name, 'name');
  if (ref.tag || ref.digest) {
    throw new InputError(`name '${inputs.name}' carries a ${ref.digest ? 'digest' : 'tag'}`, {
      where: { path: 'name' },
      fix: `Give the repository alone (${ref.registry}/${ref.repository}) and the tags in 'tags'.`,
    });
  }
  const tags = inputs.tags;
  if (tags.length === 0) {
    throw new InputError('tags names no tag', {
      where: { path: 'tags' },
      fix: 'Give at least one tag, e.g. latest.',
    });
  }
  tags.forEach((t, i) => {
    if (!isValidTag(t)) {
      throw new InputError(`tag '${t}' is not a valid tag`, {
        where: { path: `tags[${i}]` },
        fix: 'A tag is up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`.',
      });
    }
  });
  const model = inputs.model;
  if (!(await stat(model).catch(() => undefined))?.isFile()) {
    throw new InputError(`model '${model}' does not exist`, {
      where: { path: 'model' },
      fix: 'Give the path of the model file.',
    });
  }
  if (inputs.attest && !inputs.push) {
    throw new InputError('attest needs a pushed image', {
      where: { path: 'attest' },
      fix: 'Set push: true.',
    });
  }
  if (inputs.attest && !platform.attestProvenance) {
    throw new InputError(`attest works on GitHub Actions only, not on ${platform.name}`, {
      where: { path: 'attest' },
      fix: 'Leave attest off here; on GitLab, sign the digest with cosign in a later job.',
    });
  }
  const target = parsePlatform(inputs.platform);
  const runtime = inputs.runtime;
  const credentials =
    inputs['registry-username'] && inputs['registry-password']
      ? { username: inputs['registry-username'], password: inputs['registry-password'] }
      : undefined;
  const insecure = inputs['insecure-registry'];
  const name = ref.repository.split('/').pop()!;
  const epoch = buildEpoch();

  const base =
    runtime === 'artifact'
      ? undefined
      : await platform.group('Resolving the base image', () =>
          resolveBase(inputs['base-image'] || DEFAULT_BASE[runtime], {
            platform: target,
            ...(credentials && { credentials, credentialsHost: ref.registry }),
            insecure,
            log: platform,
          }),
        );
  const parts = await platform.group(`Packaging ${model}`, () =>
    PARTS[runtime]({ model, name, version: tags[0]!, platform: target, mtime: epoch, log: platform }),
  );
  const annotations = await annotationsOf({
    model,
    modelDigest: parts.modelDigest,
    name,
    version: tags[0]!,
    epoch,
    dataDigest: inputs['data-digest'],
    evaluationReport: inputs['evaluation-report'],
    runUrl: platform.runUrl(),
    extra: inputs.annotations,
    env: process.env,
  });

  let config: Buffer;
  let configType: string;
  let manifest: Buffer;
  if (runtime === 'artifact') {
    config = canonicalJson({
      name,
      model: { file: model.split('/').pop(), digest: parts.modelDigest },
      annotations,
    });
    configType = ARTIFACT_CONFIG;
    manifest = artifactManifest({
      artifactType: ARTIFACT_TYPE,
      config: descriptorOf(ARTIFACT_CONFIG, config),
      layers: parts.layers.map((l) => l.descriptor),
      annotations,
    });
  } else {
    config = imageConfig({
      base: base!.config,
      ...(parts.env && { env: parts.env }),
      ...(parts.entrypoint && { entrypoint: parts.entrypoint }),
      ...(parts.exposedPorts && { exposedPorts: parts.exposedPorts }),
      ...(parts.workingDir && { workingDir: parts.workingDir }),
      labels: annotations,
      diffIds: parts.layers.map((l) => l.diffId),
      created: epoch,
    });
    configType = MEDIA.ociConfig;
    manifest = imageManifest({
      config: descriptorOf(MEDIA.ociConfig, config),
      layers: [...base!.layers, ...parts.layers.map((l) => l.descriptor)],
      annotations: {
        ...annotations,
        'org.opencontainers.image.base.digest': base!.digest,
        'org.opencontainers.image.base.name': base!.name,
      },
    });
  }
  const digest = sha256Bytes(manifest);
  const configBlob = {
    digest: sha256Bytes(config),
    size: config.length,
    open: (o = 0) => Readable.from([config.subarray(o)]),
  };
  const built = {
    ...(base && { base }),
    blobs: [...parts.layers.map((l) => l.source), configBlob],
    manifest,
    mediaType: MEDIA.ociManifest,
    digest,
  };
  const destination: Target = inputs.push
    ? {
        kind: 'registry',
        registry: await Registry.connect(ref.registry, {
          ...(credentials && { credentials }),
          ...(insecure && { insecure: true }),
          log: platform,
        }),
        repo: ref.repository,
      }
    : { kind: 'layout', dir: inputs.output };
  const pushed = await platform.group(
    inputs.push
      ? `Pushing ${ref.registry}/${ref.repository}`
      : `Writing ${destination.kind === 'layout' ? destination.dir : ''}`,
    () => publish(built, destination, tags, platform),
  );
  const attestation = inputs.attest ? await attest(platform, inputs, ref, digest) : undefined;
  const image = inputs.push
    ? `${ref.registry}/${ref.repository}@${digest}`
    : `oci:${(destination as { dir: string }).dir}@${digest}`;
  const report = {
    step: 'build-image',
    passed: true,
    image,
    digest,
    tags,
    runtime,
    platform: inputs.platform,
    base: base ? { name: base.name, digest: base.digest } : null,
    model: { file: model, digest: parts.modelDigest },
    layers: JSON.parse(manifest.toString('utf8')).layers,
    config: { mediaType: configType, digest: configBlob.digest },
    annotations,
    uploaded_bytes: pushed.uploaded,
    pushed: !!inputs.push,
  };
  await writeJson(inputs.report, report);
  return {
    passed: true,
    outputs: {
      image,
      digest,
      report: inputs.report,
      'model-digest': parts.modelDigest,
      tags: tags.join(','),
      'uploaded-bytes': pushed.uploaded,
      ...(attestation && { attestation }),
    },
    summary: buildSummary(report),
    checks: [],
  };
}

async function attest(
  platform: Platform,
  inputs: BuildImageInputs,
  ref: { registry: string; repository: string },
  digest: string,
): Promise<string> {
  if (!inputs.push) {
    throw new InputError('attest needs a pushed image', {
      where: { path: 'attest' },
      fix: 'Set push: true.',
    });
  }
  if (!platform.attestProvenance) {
    throw new InputError(`attest works on GitHub Actions only, not on ${platform.name}`, {
      where: { path: 'attest' },
      fix: 'Leave attest off here; on GitLab, sign the digest with cosign in a later job.',
    });
  }
  const done = await platform.attestProvenance(
    { name: `${ref.registry}/${ref.repository}`, digest },
    inputs.token,
  );
  platform.info(`attested ${ref.registry}/${ref.repository}@${digest}${done.url ? `: ${done.url}` : ''}`);
  return done.url ?? 'created';
}
