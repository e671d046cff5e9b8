/**
 * `npm run gen`: every file derived from the step schemas. `--check` fails on any difference
 * instead of writing, as CI runs it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { actionYml } from '../packages/core/src/faces/action-yml.ts';
import { componentTemplate } from '../packages/core/src/faces/component.ts';
import { inputsTable, outputsTable, replaceBlock } from '../packages/core/src/faces/tables.ts';
import { dotenvKey } from '../packages/core/src/platform/gitlab.ts';
import { findStep, LIFECYCLE, STEPS } from '../packages/core/src/steps/catalog.ts';
import { SETTINGS } from '../packages/serve/src/config.ts';
import { emit } from './files.ts';

const files = new Map<string, string>();
const read = (path: string) => files.get(path) ?? readFileSync(path, 'utf8');

for (const { spec } of STEPS) {
  files.set(`actions/${spec.id}/action.yml`, actionYml(spec));
  files.set(`gitlab-components/templates/${spec.id}.yml`, componentTemplate(spec));

  const actionReadme = `actions/${spec.id}/README.md`;
  if (!existsSync(actionReadme))
    throw new Error(`${actionReadme} is missing: write its prose with gen markers`);
  let text = replaceBlock(read(actionReadme), 'inputs', inputsTable(spec));
  text = replaceBlock(text, 'outputs', outputsTable(spec));
  files.set(actionReadme, text);

  const glReadme = 'gitlab-components/README.md';
  let gl = replaceBlock(read(glReadme), `${spec.id}:inputs`, inputsTable(spec));
  gl = replaceBlock(
    gl,
    `${spec.id}:outputs`,
    outputsTable(spec, (n) => `\`${dotenvKey(spec.id, n)}\``),
  );
  files.set(glReadme, gl);
}

const steps = LIFECYCLE.map((id) => {
  const s = findStep(id);
  return s
    ? `| [\`${id}\`](actions/${id}/README.md) | ${s.spec.summary} | ✅ available |`
    : `| \`${id}\` | — | planned |`;
});
files.set(
  'README.md',
  replaceBlock(
    read('README.md'),
    'steps',
    ['| step | what it does | status |', '| --- | --- | --- |', ...steps].join('\n'),
  ),
);

// The server's settings: one row per variable, with its flag, from the list the server reads.
const settings = Object.values(SETTINGS).map(
  (v) =>
    `| \`${v.env}\` | \`--${v.flag}\` | ${v.description} | ${v.default === undefined ? '' : `\`${v.default}\``} |`,
);
files.set(
  'packages/serve/README.md',
  replaceBlock(
    read('packages/serve/README.md'),
    'settings',
    ['| variable | flag | what | default |', '| --- | --- | --- | --- |', ...settings].join('\n'),
  ),
);

emit(files, 'generated files');
