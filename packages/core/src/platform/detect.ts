/**
 * Which CI this process runs in, decided in one place so no face sniffs CI variables itself.
 * The GitLab template says so outright (MODELSHIP_PLATFORM=gitlab) because runners and local
 * emulators differ on GITLAB_CI.
 */
import { GitHubPlatform } from './github.ts';
import { GitLabPlatform } from './gitlab.ts';
import { LocalPlatform } from './local.ts';

export type Ci = 'github' | 'gitlab' | 'local';

export function detectCi(env: NodeJS.ProcessEnv = process.env): Ci {
  const said = env.MODELSHIP_PLATFORM;
  if (said === 'github' || said === 'gitlab' || said === 'local') return said;
  if (env.GITLAB_CI === 'true') return 'gitlab';
  if (env.GITHUB_ACTIONS === 'true') return 'github';
  return 'local';
}

/**
 * The port for a command-line run: GitLab's reports inside a GitLab job, the terminal elsewhere.
 * A `run:` step on GitHub is still a command line (its inputs are flags, not `with:`).
 */
export function cliPlatform(
  flags: Record<string, string>,
  env: NodeJS.ProcessEnv = process.env,
): LocalPlatform {
  return detectCi(env) === 'gitlab' ? new GitLabPlatform(flags, env) : terminalPlatform(flags, env);
}

/** Messages on stderr, coloured on a terminal: for commands whose stdout is JSON, in CI too. */
export function terminalPlatform(
  flags: Record<string, string> = {},
  env: NodeJS.ProcessEnv = process.env,
): LocalPlatform {
  return new LocalPlatform(flags, env, { colour: colourFor(process.stderr, env) });
}

/** The URL of the CI run this process belongs to, recorded as who did something; none locally. */
export function ciRunUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  switch (detectCi(env)) {
    case 'github':
      return new GitHubPlatform(env).runUrl();
    case 'gitlab':
      return new GitLabPlatform({}, env).runUrl();
    case 'local':
      return undefined;
  }
}

/**
 * Whether text for `stream` may carry ANSI colour: never in a CI log or a file, and the user's
 * NO_COLOR (https://no-color.org) and FORCE_COLOR settings win over the terminal check.
 */
export function colourFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  if (detectCi(env) !== 'local' || env.CI) return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}
