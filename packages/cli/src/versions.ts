/**
 * `modelship versions list|show|promote|history --name <repository>`: the registry as the model
 * registry, for release managers. Credentials come from MODELSHIP_INPUT_REGISTRY_USERNAME and
 * MODELSHIP_INPUT_REGISTRY_PASSWORD, the variables build-image reads, never from a flag, so a
 * password never sits in shell history.
 */
import { EXIT, InputError } from '@modelship/core/errors.ts';
import { parseFlags } from '@modelship/core/faces/argv.ts';
import { Registry } from '@modelship/core/oci/client.ts';
import { parseReference } from '@modelship/core/oci/reference.ts';
import { ciRunUrl } from '@modelship/core/platform/detect.ts';
import type { Logger } from '@modelship/core/platform/port.ts';
import { addSecret, redact } from '@modelship/core/secrets/redact.ts';
import { closest } from '@modelship/core/suggest.ts';
import {
  checkDigest,
  checkStage,
  findVersion,
  listVersions,
  promote,
  resolveStage,
  stageEmpty,
  stageHistory,
} from '@modelship/core/versions/stages.ts';

const ACTIONS = ['list', 'show', 'promote', 'history'] as const;

/** What each command cannot do without (`show` takes either a digest or a stage). */
const NEEDS = { list: [], show: [], promote: ['digest', 'stage'], history: ['stage'] } as const;
const USAGE_FIX = 'Run modelship versions --help for the usage.';

/** build-image's registry-username/password inputs, so one job's variables serve both. */
const CREDENTIALS = {
  username: 'MODELSHIP_INPUT_REGISTRY_USERNAME',
  password: 'MODELSHIP_INPUT_REGISTRY_PASSWORD',
} as const;
/** The names versions read before; still honoured, with a notice, until the next major release. */
const OLD_CREDENTIALS = { username: 'MODELSHIP_REGISTRY_USERNAME', password: 'MODELSHIP_REGISTRY_PASSWORD' };

export const versionsHelp = () =>
  [
    'Usage: modelship versions <list|show|promote|history> --name <repository>',
    '         [--stage <stage>] [--digest sha256:<64 hex>] [--insecure-registry]',
    '',
    '  list      every version (digest, tags, created, headline metrics), newest first',
    '  show      one version: --digest sha256:… or --stage production (its annotations)',
    '  promote   point --stage at --digest, recording the previous holder',
    '  history   the promotions of --stage, newest first (where a rollback goes)',
    '',
    `Credentials: ${CREDENTIALS.username} and ${CREDENTIALS.password} (as for build-image).`,
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
  // Checked before the registry is contacted: a typo fails in milliseconds, not after a login.
  const act = action as (typeof ACTIONS)[number];
  for (const flag of NEEDS[act])
    if (!flags[flag]) throw new InputError(`versions ${act} needs --${flag}`, { fix: USAGE_FIX });
  if (act === 'show' && !flags.digest && !flags.stage)
    throw new InputError('versions show needs --digest or --stage', { fix: USAGE_FIX });
  if (flags.digest !== undefined) checkDigest(flags.digest);
  if (flags.stage !== undefined) checkStage(flags.stage);
  return { action: act, flags };
}

/** The registry login from the environment; the old variable names still work, with a notice. */
function credentials(env: NodeJS.ProcessEnv, log: Logger) {
  let username = env[CREDENTIALS.username];
  let password = env[CREDENTIALS.password];
  if (!username && !password && (env[OLD_CREDENTIALS.username] || env[OLD_CREDENTIALS.password])) {
    log.warn(
      `${OLD_CREDENTIALS.username} and ${OLD_CREDENTIALS.password} are deprecated: set ${CREDENTIALS.username} and ${CREDENTIALS.password}, the variables build-image reads`,
    );
    username = env[OLD_CREDENTIALS.username];
    password = env[OLD_CREDENTIALS.password];
  }
  if (password) addSecret(password);
  return username && password ? { credentials: { username, password } } : {};
}

export async function versions(
  argv: string[],
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(versionsHelp());
    return argv.length ? EXIT.passed : EXIT.configuration;
  }
  const { action, flags } = parse(argv);
  const ref = parseReference(flags.name!, 'name');
  const registry = await Registry.connect(ref.registry, {
    ...credentials(env, log),
    ...(flags['insecure-registry'] === 'true' && { insecure: true }),
  });
  const repo = ref.repository;
  const { digest, stage } = flags;
  let out: unknown;
  if (action === 'list') out = await listVersions(registry, repo);
  else if (action === 'history') out = await stageHistory(registry, repo, stage!);
  else if (action === 'promote') out = await promote(registry, repo, digest!, stage!, ciRunUrl(env) ?? null);
  else {
    const shown = digest ?? (await resolveStage(registry, repo, stage!));
    if (!shown) throw stageEmpty(registry, repo, stage!);
    out = await findVersion(registry, repo, shown);
  }
  process.stdout.write(`${redact(JSON.stringify(out, null, 2))}\n`);
  return EXIT.passed;
}
