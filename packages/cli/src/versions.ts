/**
 * `modelship versions list|show|promote|history --name <repository>`: the registry as the model
 * registry, for release managers. Credentials come from MODELSHIP_REGISTRY_USERNAME and
 * MODELSHIP_REGISTRY_PASSWORD, never from a flag, so a password never sits in shell history.
 */
import { EXIT, InputError } from '@modelship/core/errors.ts';
import { parseFlags } from '@modelship/core/faces/argv.ts';
import { Registry } from '@modelship/core/oci/client.ts';
import { parseReference } from '@modelship/core/oci/reference.ts';
import { addSecret, redact } from '@modelship/core/platform/redact.ts';
import { closest } from '@modelship/core/suggest.ts';
import { listVersions, promote, resolveStage, stageHistory } from '@modelship/core/versions/registry.ts';

const ACTIONS = ['list', 'show', 'promote', 'history'] as const;

export const versionsHelp = () =>
  [
    'Usage: modelship versions <list|show|promote|history> --name <repository> [options]',
    '',
    '  list      every version (digest, tags, created, headline metrics), newest first',
    '  show      one version: --digest sha256:… or --stage production (its annotations)',
    '  promote   point --stage at --digest, recording the previous holder',
    '  history   the promotions of --stage, newest first (where a rollback goes)',
    '',
    'Credentials: MODELSHIP_REGISTRY_USERNAME and MODELSHIP_REGISTRY_PASSWORD.',
    'Output: JSON on stdout.',
    '',
  ].join('\n');

function parse(argv: string[]): { action: (typeof ACTIONS)[number]; flags: Record<string, string> } {
  const [action, ...rest] = argv;
  if (!ACTIONS.includes(action as never)) {
    const guess = action ? closest(action, ACTIONS) : undefined;
    throw new InputError(`'${action ?? ''}' is not a versions command`, {
      fix: `${guess ? `Did you mean '${guess}'? ` : ''}Use one of ${ACTIONS.join(', ')}.`,
    });
  }
  const { flags } = parseFlags(rest, {
    command: 'versions',
    flags: { name: 'repository', stage: 'stage', digest: 'sha256:…', 'insecure-registry': 'true|false' },
    booleans: ['insecure-registry'],
  });
  if (!flags.name)
    throw new InputError('--name is required', { fix: 'e.g. --name ghcr.io/acme/fraud-model' });
  return { action: action as (typeof ACTIONS)[number], flags };
}

export async function versions(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(versionsHelp());
    return argv.length ? EXIT.passed : EXIT.configuration;
  }
  const { action, flags } = parse(argv);
  const ref = parseReference(flags.name!, 'name');
  const password = env.MODELSHIP_REGISTRY_PASSWORD;
  if (password) addSecret(password);
  const registry = await Registry.connect(ref.registry, {
    ...(env.MODELSHIP_REGISTRY_USERNAME &&
      password && {
        credentials: { username: env.MODELSHIP_REGISTRY_USERNAME, password },
      }),
    ...(flags['insecure-registry'] === 'true' && { insecure: true }),
  });
  const repo = ref.repository;
  const need = (flag: string) => {
    if (!flags[flag]) throw new InputError(`versions ${action} needs --${flag}`);
    return flags[flag]!;
  };
  let out: unknown;
  if (action === 'list') out = await listVersions(registry, repo);
  else if (action === 'history') out = await stageHistory(registry, repo, need('stage'));
  else if (action === 'promote') {
    out = await promote(
      registry,
      repo,
      need('digest'),
      need('stage'),
      env.GITHUB_RUN_ID ? runUrl(env) : (env.CI_JOB_URL ?? null),
    );
  } else {
    const digest = flags.digest ?? (await resolveStage(registry, repo, need('stage')));
    if (!digest) throw new InputError(`nothing holds stage '${flags.stage}' in ${repo}`);
    out = (await listVersions(registry, repo)).find((v) => v.digest === digest) ?? { digest, tags: [] };
  }
  process.stdout.write(`${redact(JSON.stringify(out, null, 2))}\n`);
  return EXIT.passed;
}

const runUrl = (env: NodeJS.ProcessEnv) =>
  `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
