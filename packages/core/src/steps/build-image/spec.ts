import { registryInputs } from '../registry-inputs.ts';
import { defineStep, type InputsOf, input } from '../spec.ts';

export const RUNTIMES = ['serve', 'triton', 'artifact'] as const;

export const buildImageSpec = defineStep({
  id: 'build-image',
  title: 'Build image',
  summary:
    'Package a model as an OCI image (the modelship server, Triton, or the model alone) without a Docker daemon, and push it or write an OCI layout.',
  inputs: {
    model: input.path({
      description:
        "The model file to package (an .onnx file for `serve` and `triton`; any file for `artifact`), or a model artifact by digest (train-dispatch's `model` output, `registry/repo@sha256:…`) or by a tag holding one, pulled and verified.",
      required: true,
      example: 'models/model.onnx',
    }),
    name: input.string({
      description:
        'The image repository, e.g. `ghcr.io/acme/fraud-model`. Registry host first; docker.io when left out.',
      required: true,
      example: 'ghcr.io/acme/fraud-model',
    }),
    tags: input.list({
      description: 'Tags to give the image, one per line or comma-separated.',
      default: 'latest',
      example: '1.4.0, candidate',
    }),
    runtime: input.choice(RUNTIMES, {
      description:
        "`serve`: the modelship model server and onnxruntime-node on a Node 24 base. `triton`: NVIDIA Triton's model repository layout and `config.pbtxt` on a Triton base. `artifact`: the model alone as an OCI artifact (no base, not runnable), for registries used as a model store.",
      default: 'serve',
    }),
    'base-image': input.string({
      description:
        'Base image by tag or digest, or `oci:<dir>:<tag>` for an OCI layout on disk. Default: `docker.io/library/node:24-slim` for serve, `nvcr.io/nvidia/tritonserver:25.01-py3` for triton.',
      example: 'docker.io/library/node:24-slim@sha256:…',
    }),
    platform: input.string({
      description: 'Platform to pick from a multi-platform base, `os/arch[/variant]`.',
      default: 'linux/amd64',
      example: 'linux/arm64',
    }),
    push: input.boolean({
      description:
        'Push to the registry in `name`. Without it the image is written as an OCI layout to `output`.',
      default: 'false',
    }),
    output: input.path({
      description:
        'OCI image layout directory written when not pushing (readable by skopeo, crane, containerd).',
      default: 'modelship-reports/image',
      writes: 'directory',
      writesUnless: 'push',
    }),
    ...registryInputs(
      'User for the registry of `name` (and of the base image when they are the same registry).',
    ),
    annotations: input.list({
      description: 'Extra annotations, `key=value`, one per line.',
      example: 'org.opencontainers.image.licenses=Apache-2.0',
    }),
    'evaluation-report': input.path({
      description:
        "evaluate-model's JSON report: its headline metrics and gate verdict are recorded on the image.",
      example: 'modelship-reports/evaluate-model.json',
    }),
    'data-digest': input.string({
      description:
        "validate-data's `data-digest` output: the data the model was evaluated on, recorded on the image.",
      example: 'sha256:3f1c…',
    }),
    report: input.path({
      description: 'Where to write the JSON report (the image, its layers, annotations and what was sent).',
      default: 'modelship-reports/build-image.json',
      writes: 'file',
    }),
    attest: input.boolean({
      description:
        'GitHub only: create a build-provenance attestation for the pushed digest (needs `id-token: write` and `attestations: write`).',
      default: 'false',
    }),
    token: input.string({
      description: 'GitHub token that stores the attestation; the workflow token by default.',
      secret: true,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, written into action.yml as is
      githubDefault: '${{ github.token }}',
    }),
  },
  outputs: {
    image: {
      description: 'The image by digest: `name@sha256:…`.',
      example: 'ghcr.io/acme/fraud-model@sha256:9f2…',
    },
    digest: { description: 'The manifest digest.', example: 'sha256:9f2…' },
    report: { description: 'Path of the JSON report.', example: 'modelship-reports/build-image.json' },
    'model-digest': { description: 'sha256 of the model file.', example: 'sha256:41c…' },
    tags: { description: 'The tags given, comma-separated.', example: '1.4.0,candidate' },
    'uploaded-bytes': {
      description: 'Bytes sent to the registry (0 when every blob was already there).',
      example: '0',
    },
  },
});

export type BuildImageInputs = InputsOf<typeof buildImageSpec.inputs>;
