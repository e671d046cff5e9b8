import { kubeconfigInput } from '../kube-inputs.ts';
import { analysisInputs } from '../monitor-gate/spec.ts';
import { registryInputs } from '../registry-inputs.ts';
import { defineStep, type InputsOf, input } from '../spec.ts';

export const STRATEGIES = ['rolling', 'blue-green', 'canary', 'versions'] as const;
export const ROUTERS = ['replicas', 'gateway-api'] as const;

export const deployRolloutSpec = defineStep({
  id: 'deploy-rollout',
  title: 'Deploy rollout',
  summary:
    'Roll a model server image out on Kubernetes (rolling, blue-green or canary), wait for it with progress, fail with the reason read from the cluster, and record the release for rollback.',
  inputs: {
    image: input.string({
      description:
        "The image to deploy, by digest as build-image's `image` output gives it (`name@sha256:…`); a tag is accepted with a warning, since it can move.",
      required: true,
      example: 'ghcr.io/acme/fraud-model@sha256:9f2…',
    }),
    app: input.string({
      description:
        'The application: names the Deployment, the Service and the release record, and is the `app.kubernetes.io/name` label. A DNS label: lower-case letters, digits and `-`.',
      required: true,
      example: 'fraud-model',
    }),
    namespace: input.string({
      description: 'The namespace to deploy into (it must exist).',
      default: 'default',
      example: 'models',
    }),
    kubeconfig: kubeconfigInput(),
    strategy: input.choice(STRATEGIES, {
      description:
        "`rolling`: the Deployment's own rolling update, watched to the end. `blue-green`: the new version beside the old behind a preview Service, the active Service switched at once. `canary`: a canary Deployment beside the stable one, traffic moved by `steps`. `versions`: several versions live at once, each its own Deployment, traffic split by `versions`.",
      default: 'rolling',
    }),
    steps: input.list({
      description:
        'Canary only: the traffic steps, e.g. `10%, pause 2m, 25%, analysis, 50%, pause, 100%`: weights only go up, and a last 100% (added when left out) promotes. `analysis` runs monitor-gate where it is configured and is skipped (and says so) where not. A `pause` without a duration ends the run there with status `paused` (exit 0), the canary keeping its share; running the step again with the same image resumes after it, and a deploy of another image meanwhile is refused, naming the paused release.',
      example: '10%, pause 2m, 50%, 100%',
    }),
    traffic: input.choice(ROUTERS, {
      description:
        '`replicas`: one Service over both tracks, the weight approximated by pod counts (canary pods = round(replicas × weight), at least 1, the total kept at `replicas`). `gateway-api`: exact weights on an HTTPRoute (`gateway`), and the header `x-model-version: canary` always reaches the canary.',
      default: 'replicas',
    }),
    versions: input.list({
      description:
        "Strategy versions: the versions to keep live and their shares, `name=weight`, adding up to 100, e.g. `v7=80, v8=20`. Each runs as its own Deployment and Service `<app>-<name>`; every name but one must run already, and that one is this image (when all run, the one named by the image's tag). Versions left out are scaled to zero. With traffic gateway-api the HTTPRoute splits by these weights and the header `x-model-version: <name>` picks a version; with replicas the shares are pod counts (round(replicas × weight), at least 1).",
      example: 'v7=80, v8=20',
    }),
    mirror: input.number({
      description:
        "Canary through gateway-api only: a copy of this percentage of requests also goes to the canary (the HTTPRoute's `RequestMirror` filter with `percent`); its answers go to no one. The canary then runs from the start, so steps before the first weight (e.g. `pause 10m, analysis, 10%`) are a shadow phase. 0: no mirror.",
      default: '0',
      integer: true,
      min: 0,
      max: 100,
    }),
    gateway: input.string({
      description: 'traffic gateway-api: the Gateway the HTTPRoute attaches to, `name` or `namespace/name`.',
      example: 'infra/public',
    }),
    replicas: input.number({
      description: 'Pods of the model server.',
      default: '2',
      integer: true,
      min: 1,
      max: 1000,
    }),
    cpu: input.string({
      description: 'CPU request (and limit) of the server container, in Kubernetes quantity form.',
      example: '500m',
    }),
    memory: input.string({
      description: 'Memory request (and limit) of the server container.',
      example: '1Gi',
    }),
    gpus: input.number({
      description:
        'NVIDIA GPUs per pod (`nvidia.com/gpu`); with any, the pods tolerate the `nvidia.com/gpu` taint.',
      default: '0',
      integer: true,
      min: 0,
      max: 16,
    }),
    'node-selector': input.list({
      description: 'Node labels the pods must land on, `key=value`, one per line.',
      example: 'cloud.google.com/gke-accelerator=nvidia-l4',
    }),
    tolerations: input.list({
      description: 'Taints the pods tolerate, `key[=value]:Effect`, one per line.',
      example: 'dedicated=models:NoSchedule',
    }),
    env: input.list({
      description: 'Environment variables of the server container, `NAME=value`, one per line.',
      example: 'MODELSHIP_LOG_LEVEL=debug',
    }),
    port: input.number({
      description: 'The port the server listens on in the container (modelship serve: 8080).',
      default: '8080',
      integer: true,
      min: 1,
      max: 65535,
    }),
    manifests: input.path({
      description:
        'Your own Deployment and Service (a YAML file, documents separated by `---`); the step sets only the image, labels, env and probes on them and keeps everything else. Default: generated ones.',
      example: 'deploy/fraud-model.yaml',
    }),
    'progress-deadline': input.string({
      description: 'How long the rollout may take to become ready before it is a failure, e.g. `10m`, `90s`.',
      default: '10m',
      expects: 'a duration such as 90s, 10m or 1h',
    }),
    'scale-down-delay': input.string({
      description:
        'blue-green: how long the previous version stays up after the switch (going back meanwhile is one more switch) before it is scaled to zero; the step waits this long.',
      default: '30s',
      expects: 'a duration such as 0s, 30s or 5m',
    }),
    alerts: input.choice(['auto', 'off'] as const, {
      description:
        "`auto`: on promotion, apply the app's alert rules (error rate, latency, no traffic, prediction shift, each with its runbook line) as a `PrometheusRule` when the cluster has the Prometheus Operator's CRD, and say in the report when it has not. `off`: leave alerting alone.",
      default: 'auto',
    }),
    // The previous version kept warm after promotion, for the rollback step's fast path.
    'keep-previous': input.string({
      description:
        'canary: after promotion, keep the previous version up this long (ready, out of traffic, as `<app>-previous`, recorded in the release), so a rollback meanwhile switches back in seconds instead of redeploying; the step waits this long, then scales it down. blue-green: the old slot stays up for the longer of this and scale-down-delay.',
      default: '0s',
      expects: 'a duration such as 0s, 5m or 15m',
    }),
    'lock-timeout': input.string({
      description:
        'One rollout of an app at a time (a Lease beside it): how long to wait for another one to finish before failing.',
      default: '10m',
      expects: 'a duration such as 0s, 90s or 10m',
    }),
    'on-failure': input.choice(['abort', 'pause'] as const, {
      description:
        '`abort`: return to the previous version at once (a first deploy is scaled to zero). `pause`: leave the failed version as it is, for inspection.',
      default: 'abort',
    }),
    wait: input.boolean({
      description: 'Wait for the rollout to finish. Without it the step applies the manifests and returns.',
      default: 'true',
    }),
    'dry-run': input.boolean({
      description:
        'Print the manifests and the plan, validated by the API server (server-side dry run); nothing is changed.',
      default: 'false',
    }),
    'promote-stage': input.string({
      description:
        "On success, move this registry stage (a tag, e.g. `production`) to the image's digest with its history, as `modelship versions promote` does; the rollback step reads it.",
      example: 'production',
    }),
    ...registryInputs(
      "User for the image's registry: to read the facts build-image recorded on the image (for the release record) and to move `promote-stage`.",
    ),
    history: input.number({
      description: 'Releases kept in the release record (a ConfigMap beside the app).',
      default: '10',
      integer: true,
      min: 1,
      max: 100,
    }),
    // monitor-gate's analysis inputs, prefixed `analysis-`: what an `analysis` canary step measures.
    ...analysisInputs('analysis-'),
    report: input.path({
      description: 'Where to write the JSON report (the plan, the timeline, the verdict and the release).',
      default: 'modelship-reports/deploy-rollout.json',
      writes: 'file',
    }),
  },
  outputs: {
    status: {
      description:
        '`promoted`, `aborted`, `failed` or `paused` (`planned` for a dry run, `applied` without wait).',
      example: 'promoted',
    },
    revision: { description: 'The release number in the release record.', example: '7' },
    image: { description: 'The image deployed.', example: 'ghcr.io/acme/fraud-model@sha256:9f2…' },
    'previous-image': {
      description: 'The image that served before this release (empty for a first deploy).',
      example: 'ghcr.io/acme/fraud-model@sha256:41c…',
    },
    'stable-version': {
      description: 'The image serving when the step ends: the new one when promoted, else the previous one.',
      example: 'ghcr.io/acme/fraud-model@sha256:9f2…',
    },
    report: { description: 'Path of the JSON report.', example: 'modelship-reports/deploy-rollout.json' },
  },
});

export type DeployRolloutInputs = InputsOf<typeof deployRolloutSpec.inputs>;
