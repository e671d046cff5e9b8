/**
 * gitlab-components/templates/<step>.yml from the step's schema. Inputs reach the CLI as job
 * variables, never through the shell: GitLab expands CI/CD variables in them (`$CI_REGISTRY_IMAGE`,
 * `${CI_COMMIT_SHORT_SHA}`) as in any job variable, `$$` stands for a literal `$`, and nothing
 * else in a value (quotes, `;`, backticks, `$(…)`) means anything to GitLab or reaches a shell.
 */
import { stringify } from 'yaml';
import { kebabToEnv } from '../platform/port.ts';
import type { Field, StepSpec } from '../steps/spec.ts';
import { VERSION } from '../version.ts';
import { GENERATED_NOTE } from './action-yml.ts';

const GITLAB_TYPE = {
  string: 'string',
  path: 'string',
  list: 'string',
  choice: 'string',
  boolean: 'boolean',
  number: 'number',
};

/** GitLab checks a default against the input's type: numbers and booleans must not be strings. */
function typedDefault(f: Field): string | number | boolean {
  if (f.kind === 'boolean') return f.default === 'true';
  if (f.kind === 'number') {
    if (f.default === undefined)
      throw new Error(`an optional number input needs a default for GitLab's spec: inputs`);
    return Number(f.default);
  }
  return f.default ?? '';
}

export function componentTemplate(spec: StepSpec): string {
  const reports = `modelship-reports/${spec.id}`;
  // deploy-rollout has an `image` input of its own (the image it deploys): the job's is `job-image` there.
  const jobImage = 'image' in spec.inputs ? 'job-image' : 'image';
  const common = {
    as: { description: 'Name of the job this component adds.', default: spec.id },
    stage: { description: 'Stage the job runs in.', default: 'test' },
    [jobImage]: {
      description:
        'Image the job runs in: Node.js 24 and npm on glibc (Debian, Ubuntu; not Alpine). The shell executor ignores it.',
      default: 'node:24-slim',
    },
    cli: {
      description:
        'Command that starts the modelship CLI. The default installs the release matching this component from the npm registry; use `modelship` for one installed in the image.',
      default: `npx --yes @modelship/cli@${VERSION}`,
    },
  };
  for (const name of Object.keys(common))
    if (name in spec.inputs) throw new Error(`${spec.id}: input '${name}' collides with the component's own`);
  const inputs = Object.fromEntries(
    Object.entries(spec.inputs).map(([name, f]) => [
      name,
      {
        description: f.description,
        type: GITLAB_TYPE[f.kind],
        ...(f.required ? {} : { default: typedDefault(f) }),
        ...(f.choices && { options: f.choices }),
      },
    ]),
  );
  const variables: Record<string, unknown> = {};
  for (const name of Object.keys(spec.inputs)) {
    // Expanded (GitLab's default) so `name: $CI_REGISTRY_IMAGE/model` works as users expect.
    variables[`MODELSHIP_INPUT_${kebabToEnv(name)}`] = `$[[ inputs.${name} ]]`;
  }
  Object.assign(variables, {
    // Said outright rather than sniffed: runners and local emulators differ on GITLAB_CI.
    MODELSHIP_PLATFORM: 'gitlab',
    MODELSHIP_CLI: '$[[ inputs.cli ]]',
    MODELSHIP_DOTENV: `${reports}.env`,
    MODELSHIP_JUNIT: `${reports}.junit.xml`,
    MODELSHIP_SUMMARY: `${reports}.md`,
    ...(spec.metricsReport && { MODELSHIP_METRICS: `${reports}.metrics.txt` }),
  });
  const job = {
    stage: '$[[ inputs.stage ]]',
    image: `$[[ inputs.${jobImage} ]]`,
    variables,
    // The CLI command is split into words on purpose; no other input is ever part of it.
    script: [`$MODELSHIP_CLI ${spec.id}`],
    artifacts: {
      when: 'always',
      paths: ['modelship-reports/'],
      reports: {
        dotenv: `${reports}.env`,
        junit: `${reports}.junit.xml`,
        ...(spec.metricsReport && { metrics: `${reports}.metrics.txt` }),
      },
    },
  };
  return [
    GENERATED_NOTE(spec),
    stringify({ spec: { inputs: { ...common, ...inputs } } }, { lineWidth: 0 }),
    '---\n',
    stringify({ '$[[ inputs.as ]]': job }, { lineWidth: 0 }),
  ].join('');
}
