import { kubeconfigInput } from '../kube-inputs.ts';
import { registryInputs } from '../registry-inputs.ts';
import { defineStep, type InputsOf, input } from '../spec.ts';

export const TARGETS = ['kubernetes', 'local', 'github', 'gitlab'] as const;

export const trainDispatchSpec = defineStep({
  id: 'train-dispatch',
  title: 'Train dispatch',
  summary:
    'Run training where it belongs (a Kubernetes Job on one or many pods, a GitHub or GitLab pipeline, or the runner), stream its logs, hand the trained model on as an OCI artifact by digest, and skip it when data, code, params and image are unchanged.',
  inputs: {
    target: input.choice(TARGETS, {
      description:
        '`kubernetes`: a Job (one per rank with `workers`) from `image`. `local`: `command` on the runner. `github`: `workflow_dispatch` of `workflow` in `repository`. `gitlab`: a pipeline of `project` started with `trigger-token`.',
      required: true,
    }),
    image: input.string({
      description:
        'kubernetes: the training image (by digest preferably); it is part of the training key. Other targets: an identifier of the training environment for the key (optional).',
      example: 'ghcr.io/acme/trainer@sha256:1c2…',
    }),
    command: input.list({
      description:
        'kubernetes: the container command (default: the image entrypoint). local: the program and its arguments, one per line (run without a shell).',
      example: 'node\nexamples/trainer/main.ts',
    }),
    args: input.list({
      description: 'Arguments after `command` (kubernetes: the container args), one per line.',
      example: '--epochs\n20',
    }),
    env: input.list({
      description: 'Environment variables of the training, `NAME=value`, one per line.',
      example: 'LOG_LEVEL=debug',
    }),
    params: input.list({
      description:
        'Training parameters, `name=value`, one per line: given to the training as `PARAM_<NAME>` variables and as the JSON file named by `MODELSHIP_PARAMS`; part of the training key and annotated on the model.',
      example: 'learning-rate=0.05\nepochs=200',
    }),
    cpu: input.string({
      description: 'kubernetes: CPU request and limit of each training pod.',
      example: '2',
    }),
    memory: input.string({
      description:
        'kubernetes: memory request and limit of each training pod (over it, the pod is OOMKilled).',
      example: '8Gi',
    }),
    gpus: input.number({
      description:
        'kubernetes: NVIDIA GPUs per pod (`nvidia.com/gpu`); with any, the pods tolerate the `nvidia.com/gpu` taint.',
      default: '0',
      integer: true,
      min: 0,
      max: 16,
    }),
    'node-selector': input.list({
      description: 'kubernetes: node labels the pods must land on, `key=value`, one per line.',
      example: 'cloud.google.com/gke-accelerator=nvidia-l4',
    }),
    tolerations: input.list({
      description: 'kubernetes: taints the pods tolerate, `key[=value]:Effect`, one per line.',
      example: 'dedicated=training:NoSchedule',
    }),
    deadline: input.string({
      description: 'How long the training may run before it is stopped and failed (`activeDeadlineSeconds`).',
      default: '6h',
      expects: 'a duration such as 90s, 10m or 6h',
    }),
    'backoff-limit': input.number({
      description: 'kubernetes: retries of a failed pod before the Job fails.',
      default: '0',
      integer: true,
      min: 0,
      max: 100,
    }),
    workers: input.number({
      description:
        'kubernetes: pods training together (PyTorch DDP / torchrun): each gets `RANK`, `WORLD_SIZE`, `MASTER_ADDR`, `MASTER_PORT` and their `PET_*` twins; rank 0 is reached through a Service.',
      default: '1',
      integer: true,
      min: 1,
      max: 1024,
    }),
    'master-port': input.number({
      description: 'kubernetes: the rendezvous port of rank 0 (`MASTER_PORT`).',
      default: '29500',
      integer: true,
      min: 1,
      max: 65535,
    }),
    'data-digest': input.string({
      description: "The data's digest (validate-data's `data-digest` output): part of the training key.",
      example: 'sha256:5e8…',
    }),
    'code-paths': input.list({
      description:
        'Paths of the training code in this git repository: their git tree ids are part of the training key, so a change anywhere under them trains again.',
      example: 'train/\nrequirements.txt',
    }),
    registry: input.string({
      description:
        'The repository the trained model is pushed to as an OCI artifact under the tag `train-<key>` (and looked up in, to skip an unchanged training). On kubernetes the job pushes it (`modelship build-image --runtime artifact` to `$MODELSHIP_MODEL_REPOSITORY:$MODELSHIP_MODEL_TAG` with `$MODELSHIP_MODEL_ANNOTATIONS`, as examples/trainer does); the other targets hand back a file the step pushes.',
      example: 'ghcr.io/acme/fraud-model-trained',
    }),
    ...registryInputs(
      'User for `registry` (the Job receives the credentials as a Secret, never on a command line).',
    ),
    force: input.boolean({
      description: 'Train even when the registry already holds a model with the same training key.',
      default: 'false',
    }),
    kubeconfig: kubeconfigInput('kubernetes: '),
    namespace: input.string({
      description: 'kubernetes: the namespace the Job runs in (it must exist).',
      default: 'default',
      example: 'training',
    }),
    repository: input.string({
      description: 'github: the repository whose workflow trains, `owner/name`.',
      example: 'acme/trainer',
    }),
    workflow: input.string({
      description:
        'github: the workflow file name (or id) to dispatch; it declares every input sent (`inputs` and `params`) under `on: workflow_dispatch`. Where the API gives no run details (older GitHub Enterprise Server), it must also declare `modelship-dispatch-id` and put it in its `run-name`, so the run can be found.',
      example: 'train.yml',
    }),
    'api-url': input.string({
      description:
        'github: the REST API root. Default: `GITHUB_API_URL` (set by the runner), else https://api.github.com; GitHub Enterprise Server: `https://HOST/api/v3`.',
      example: 'https://ghe.example.com/api/v3',
    }),
    ref: input.string({
      description: 'github/gitlab: the branch or tag the training pipeline runs on.',
      default: 'main',
      example: 'main',
    }),
    inputs: input.list({
      description:
        'github: workflow inputs; gitlab: pipeline variables; `name=value`, one per line (params are added to them).',
      example: 'dataset=s3://acme/data/v7',
    }),
    token: input.string({
      description:
        'github: a token allowed to dispatch workflows and read artifacts in `repository`; gitlab: a token to read the pipeline and its artifacts. Masked.',
      secret: true,
      example: 'a token from a secret',
    }),
    artifact: input.string({
      description:
        'github/gitlab: the artifact holding the trained model (github: the artifact name; gitlab: the job name), and optionally `:path` of the model file inside it.',
      default: 'model',
      example: 'model:model.onnx',
    }),
    project: input.string({
      description: 'gitlab: the project that trains, its path or numeric id.',
      example: 'acme/trainer',
    }),
    'gitlab-url': input.string({
      description: 'gitlab: the GitLab instance.',
      default: 'https://gitlab.com',
      example: 'https://gitlab.example.com',
    }),
    'trigger-token': input.string({
      description: 'gitlab: the pipeline trigger token (or `CI_JOB_TOKEN`) that starts the pipeline. Masked.',
      secret: true,
      example: 'a trigger token from a secret',
    }),
    report: input.path({
      description: 'Where to write the JSON report (the key, the run, the verdict and the model).',
      default: 'modelship-reports/train-dispatch.json',
      writes: 'file',
    }),
  },
  outputs: {
    model: {
      description:
        'The trained model as an OCI artifact reference by digest: evaluate-model and build-image take it as their `model` input.',
      example: 'ghcr.io/acme/fraud-model-trained@sha256:3b7…',
    },
    'run-url': {
      description: 'Where the training ran (the Job, the workflow run or the pipeline).',
      example: '',
    },
    duration: { description: 'Seconds the training took (0 when skipped).', example: '312' },
    skipped: {
      description: '`true` when an unchanged training was skipped and `model` is the earlier model.',
      example: 'false',
    },
    key: {
      description: 'The training key (sha256 of data, code, params and image).',
      example: 'sha256:77a…',
    },
    report: { description: 'Path of the JSON report.', example: 'modelship-reports/train-dispatch.json' },
  },
});

export type TrainDispatchInputs = InputsOf<typeof trainDispatchSpec.inputs>;
