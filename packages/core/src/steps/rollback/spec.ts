import { kubeconfigInput } from '../kube-inputs.ts';
import { registryInputs } from '../registry-inputs.ts';
import { defineStep, type InputsOf, input } from '../spec.ts';

export const rollbackSpec = defineStep({
  id: 'rollback',
  title: 'Rollback',
  summary:
    'Return an app to a version that was good, in seconds when it is still warm: from the release record, with who and why on record and the registry stage moved back.',
  inputs: {
    app: input.string({
      description: 'The application, as deploy-rollout named it: its Deployment, Service and release record.',
      required: true,
      example: 'fraud-model',
    }),
    namespace: input.string({
      description: 'The namespace the app runs in.',
      default: 'default',
      example: 'models',
    }),
    kubeconfig: kubeconfigInput(),
    to: input.string({
      description:
        '`previous` (the stable version before the release now serving, from the release record; repeated, it stays there), a revision of the record (`7`), a model version (`v1`), or an image by digest (`name@sha256:…`, or `sha256:…` in the same repository), which needs no record.',
      default: 'previous',
      example: 'v1',
    }),
    reason: input.string({
      description:
        'Why: recorded with who (the CI actor or your user name), when, from → to and the time to recovery. Required, so a rollback at 3 a.m. leaves an audit trail.',
      required: true,
      example: 'fraud scores drifted after v8 (incident 412)',
    }),
    wait: input.boolean({
      description:
        'Wait until the target serves (a cold rollback redeploys it). Without it the step applies the change and returns.',
      default: 'true',
    }),
    deadline: input.string({
      description: 'How long a cold rollback may take to have its pods ready before it is a failure.',
      default: '10m',
      expects: 'a duration such as 90s, 10m or 1h',
    }),
    'lock-timeout': input.string({
      description:
        'A rollout of the app in progress is asked to stop first (traffic back on its stable version); how long to wait for it to let go of the app.',
      default: '2m',
      expects: 'a duration such as 30s or 2m (at most 10m)',
    }),
    'dry-run': input.boolean({
      description: 'Show what would change (from → to, warm or cold) and change nothing.',
      default: 'false',
    }),
    'registry-stage': input.string({
      description:
        'The registry stage to move back to the target (e.g. `production`; its history keeps the move). Default: the stage the undone release moved (`promote-stage`), if any; `none` moves nothing.',
      example: 'production',
    }),
    ...registryInputs('User for the image registry, to move the stage back.'),
    report: input.path({
      description:
        'Where to write the JSON report (from → to, the path taken, the time to recovery, the record).',
      default: 'modelship-reports/rollback.json',
      writes: 'file',
    }),
  },
  outputs: {
    status: {
      description:
        '`rolled-back`, `already-there` (nothing changed), `failed`, `planned` (dry run) or `applied` (without wait).',
      example: 'rolled-back',
    },
    from: { description: 'The image that served before.', example: 'ghcr.io/acme/fraud-model@sha256:9f2…' },
    to: { description: 'The image serving now.', example: 'ghcr.io/acme/fraud-model@sha256:41c…' },
    path: {
      description: '`warm` (traffic switched to pods already up) or `cold` (redeployed).',
      example: 'warm',
    },
    revision: {
      description: "The rollback's entry in the release record (empty when nothing changed).",
      example: '9',
    },
    'recovery-seconds': {
      description: 'Seconds from the start of the step until every request reached ready pods of the target.',
      example: '1.4',
    },
    report: { description: 'Path of the JSON report.', example: 'modelship-reports/rollback.json' },
  },
});

export type RollbackInputs = InputsOf<typeof rollbackSpec.inputs>;
