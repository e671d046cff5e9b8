/**
 * `modelship <step> --input value …`: the same schema as the actions, for GitLab jobs (where
 * the component template passes inputs as MODELSHIP_INPUT_* variables) and for laptops.
 */
import { ConfigurationError, EXIT } from '@modelship/core/errors.ts';
import { parseArgv } from '@modelship/core/faces/argv.ts';
import { stepHelp } from '@modelship/core/faces/help.ts';
import { cliPlatform, terminalPlatform } from '@modelship/core/platform/detect.ts';
import { findStep, LIFECYCLE, STEPS } from '@modelship/core/steps/catalog.ts';
import { reportError, runStep } from '@modelship/core/steps/runner.ts';
import { closest } from '@modelship/core/suggest.ts';
import { VERSION } from '@modelship/core/version.ts';

function usage(): string {
  const available = new Set(STEPS.map((s) => s.spec.id));
  const lines = LIFECYCLE.map((id) => {
    const s = findStep(id);
    return `  ${id.padEnd(16)}${s ? s.spec.summary : '(coming)'}`;
  });
  return [
    `modelship ${VERSION} — CI/CD steps for machine-learning models`,
    '',
    'Usage: modelship <step> [--input value …]',
    '       modelship <step> --help   (or: modelship help <step>)',
    '       modelship serve --model model.onnx   (the model server; --help for its options)',
    '       modelship versions list --name ghcr.io/acme/model   (versions and stages in a registry)',
    '       modelship history --app fraud-model   (releases and rollbacks of an app on Kubernetes)',
    '',
    'Steps:',
    ...lines,
    '',
    `Available now: ${[...available].join(', ')}.`,
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // `modelship help validate-data` is `modelship validate-data --help`.
  if (command === 'help' && rest[0]) return main([rest[0], '--help']);
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage());
    return command ? EXIT.passed : EXIT.configuration;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.passed;
  }
  if (command === 'serve') {
    const { serve } = await import('@modelship/serve/main.ts');
    return serve(rest);
  }
  // Errors before a step's own port exists go to stderr, like every message of a JSON-printing command.
  const local = terminalPlatform();
  if (command === 'versions') {
    const { versions } = await import('./versions.ts');
    return versions(rest, local).catch((e: unknown) => reportError(e, local, 'versions'));
  }
  if (command === 'history') {
    const { history } = await import('./history.ts');
    return history(rest).catch((e: unknown) => reportError(e, local, 'history'));
  }
  const step = findStep(command);
  if (!step) {
    const known = (LIFECYCLE as readonly string[]).includes(command);
    const guess = known
      ? undefined
      : closest(command, [...STEPS.map((s) => s.spec.id), 'serve', 'versions', 'history']);
    return reportError(
      new ConfigurationError(known ? `step '${command}' is not available yet` : `unknown step '${command}'`, {
        fix: `${guess ? `Did you mean '${guess}'? ` : ''}Run modelship --help for the steps.`,
      }),
      local,
      command,
    );
  }
  try {
    const { flags, help } = parseArgv(step.spec, rest);
    if (help) {
      process.stdout.write(stepHelp(step.spec));
      return EXIT.passed;
    }
    return await runStep(step, cliPlatform(flags));
  } catch (e) {
    return reportError(e, local, command);
  }
}

process.exitCode = await main(process.argv.slice(2));
