/**
 * build-image: the model (and, for `serve`, the modelship server and onnxruntime-node) appended
 * to a base image as deterministic layers, with the facts about the model as annotations; pushed
 * to the registry in `name`, or written as an OCI layout.
 *
 * This file only orders the work. check.ts refuses bad inputs before anything is fetched;
 * layers.ts is what each runtime adds; annotations.ts the facts recorded; oci/assemble.ts turns
 * them into config and manifest; oci/publish.ts sends them to a registry or a layout.
 */

import { writeJson } from '../../files/atomic.ts';
import { type Assembled, assembleArtifact, assembleImage } from '../../oci/assemble.ts';
import { type Base, resolveBase } from '../../oci/base.ts';
import { Registry } from '../../oci/client.ts';
import { MODEL_SOURCE, pullOptionsOf, resolveModel } from '../../oci/model-ref.ts';
import { type Published, publish, type Target } from '../../oci/publish.ts';
import type { Platform } from '../../platform/port.ts';
import type { StepOutcome } from '../types.ts';
import { annotationsOf, buildEpoch } from './annotations.ts';
import { checkInputs, type Plan } from './check.ts';
import { ARTIFACT_CONFIG, ARTIFACT_TYPE, PARTS, type RuntimeParts } from './layers.ts';
import type { BuildImageInputs } from './spec.ts';
import { buildSummary } from './summary.ts';

const DEFAULT_BASE = {
  serve: 'docker.io/library/node:24-slim',
  triton: 'nvcr.io/nvidia/tritonserver:25.01-py3',
};

export async function run(
  inputs: BuildImageInputs,
  platform: Platform,
  signal?: AbortSignal,
): Promise<StepOutcome> {
  const pull = pullOptionsOf(inputs, platform.describeInput('model'), platform, signal);
  const { file, source } = await resolveModel(inputs.model, pull);
  inputs = { ...inputs, model: file };
  const plan = await checkInputs(inputs, platform);
  const { model, runtime, tags } = inputs;
  const epoch = buildEpoch();
  const base = await baseOf(inputs, plan, platform, signal);
  const parts = await platform.group(`Packaging ${model}`, () =>
    PARTS[runtime]({
      model,
      name: plan.name,
      version: tags[0]!,
      platform: plan.target,
      signature: plan.signature,
      mtime: epoch,
      log: platform,
    }),
  );
  const annotations = await annotationsOf({
    model,
    modelDigest: parts.modelDigest,
    name: plan.name,
    version: tags[0]!,
    epoch,
    dataDigest: inputs['data-digest'],
    evaluationReport: inputs['evaluation-report'],
    runUrl: platform.runUrl(),
    // Where the model came from, so a later step given this image's tag finds the model itself.
    extra: source ? [`${MODEL_SOURCE}=${source}`, ...inputs.annotations] : inputs.annotations,
    env: process.env,
  });
  const built = assemble(model, plan.name, base, parts, annotations, epoch);
  signal?.throwIfAborted();
  const pushed = await send(inputs, plan, built, platform, signal);
  const attestation = inputs.attest ? await attest(platform, inputs, plan, built.digest) : undefined;
  const report = reportOf(inputs, plan, { base, parts, built, annotations, pushed });
  await writeJson(inputs.report, report, { input: platform.describeInput('report') });
  return {
    passed: true,
    outputs: {
      image: report.image,
      digest: built.digest,
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

/** The base to build on; an artifact has none. */
async function baseOf(
  inputs: BuildImageInputs,
  plan: Plan,
  platform: Platform,
  signal: AbortSignal | undefined,
): Promise<Base | undefined> {
  const runtime = inputs.runtime;
  if (runtime === 'artifact') return undefined;
  return platform.group('Resolving the base image', () =>
    resolveBase(inputs['base-image'] || DEFAULT_BASE[runtime], {
      platform: plan.target,
      ...(plan.credentials && { credentials: plan.credentials, credentialsHost: plan.ref.registry }),
      insecure: inputs['insecure-registry'],
      log: platform,
      ...(signal && { signal }),
    }),
  );
}

/** An image on its base; without one, the model alone as an artifact whose config holds its facts. */
function assemble(
  model: string,
  name: string,
  base: Base | undefined,
  parts: RuntimeParts,
  annotations: Record<string, string>,
  created: number,
): Assembled {
  if (base)
    return assembleImage({ base, layers: parts.layers, settings: parts.settings, annotations, created });
  return assembleArtifact({
    artifactType: ARTIFACT_TYPE,
    configType: ARTIFACT_CONFIG,
    config: { name, model: { file: model.split('/').pop(), digest: parts.modelDigest }, annotations },
    layers: parts.layers,
    annotations,
  });
}

/** To the registry in `name` when pushing, else to the layout in `output`. */
async function send(
  inputs: BuildImageInputs,
  plan: Plan,
  built: Assembled,
  platform: Platform,
  signal: AbortSignal | undefined,
): Promise<Published> {
  const { registry: host, repository } = plan.ref;
  const destination: Target = inputs.push
    ? {
        kind: 'registry',
        registry: await Registry.connect(host, {
          ...(plan.credentials && { credentials: plan.credentials }),
          ...(inputs['insecure-registry'] && { insecure: true }),
          log: platform,
          ...(signal && { signal }),
        }),
        repo: repository,
      }
    : { kind: 'layout', dir: inputs.output, input: platform.describeInput('output') };
  return platform.group(inputs.push ? `Pushing ${host}/${repository}` : `Writing ${inputs.output}`, () =>
    publish(built, destination, inputs.tags, platform, signal),
  );
}

interface Outcome {
  base: Base | undefined;
  parts: RuntimeParts;
  built: Assembled;
  annotations: Record<string, string>;
  pushed: Published;
}

/** The JSON report: what was built, from what, and what was sent. */
function reportOf(inputs: BuildImageInputs, plan: Plan, o: Outcome) {
  const { registry, repository } = plan.ref;
  return {
    step: 'build-image',
    passed: true,
    image: inputs.push
      ? `${registry}/${repository}@${o.built.digest}`
      : `oci:${inputs.output}@${o.built.digest}`,
    digest: o.built.digest,
    tags: inputs.tags,
    runtime: inputs.runtime,
    platform: inputs.platform,
    base: o.base ? { name: o.base.name, digest: o.base.digest } : null,
    model: { file: inputs.model, digest: o.parts.modelDigest },
    layers: o.built.layers,
    config: { mediaType: o.built.config.mediaType, digest: o.built.config.digest },
    annotations: o.annotations,
    uploaded_bytes: o.pushed.uploaded,
    pushed: !!inputs.push,
  };
}

/** checkInputs made sure attest has a pushed image and a platform that can attest. */
async function attest(
  platform: Platform,
  inputs: BuildImageInputs,
  plan: Plan,
  digest: string,
): Promise<string> {
  const name = `${plan.ref.registry}/${plan.ref.repository}`;
  const done = await platform.attestProvenance!({ name, digest }, inputs.token);
  platform.info(`attested ${name}@${digest}${done.url ? `: ${done.url}` : ''}`);
  return done.url ?? 'created';
}
