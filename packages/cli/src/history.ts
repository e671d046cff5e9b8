/**
 * `modelship history --app <app> [--namespace ns] [--kubeconfig file] [--json]`: the release record
 * of an app as a timeline — releases and rollbacks, newest first, with who, why and how long — for
 * a release manager with a kubeconfig. The kubeconfig may also come from MODELSHIP_INPUT_KUBECONFIG
 * (as for the steps) or KUBECONFIG; its content is never printed.
 */
import { EXIT, InputError } from '@modelship/core/errors.ts';
import { parseFlags } from '@modelship/core/faces/argv.ts';
import { connectKube } from '@modelship/core/kube/connect.ts';
import { readRecord, recordName } from '@modelship/core/kube/release.ts';
import { HISTORY_COLUMNS, historyRows } from '@modelship/core/kube/rollback/history.ts';

export const historyHelp = () =>
  [
    'Usage: modelship history --app <app> [--namespace <namespace>] [--kubeconfig <file>] [--json]',
    '',
    '  The releases and rollbacks of an app, newest first, from its release record (the ConfigMap',
    '  <app>-modelship-releases that deploy-rollout and rollback write).',
    '',
    'Kubeconfig: --kubeconfig, else MODELSHIP_INPUT_KUBECONFIG, else KUBECONFIG, else in-cluster.',
    'Output: a table, or with --json the record itself.',
    '',
  ].join('\n');

export async function history(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(historyHelp());
    return EXIT.passed;
  }
  const { flags } = parseFlags(argv, {
    command: 'history',
    flags: { app: 'app', namespace: 'namespace', kubeconfig: 'file', json: 'true|false' },
    booleans: ['json'],
  });
  if (!flags.app)
    throw new InputError('--app is required', { fix: 'e.g. modelship history --app fraud-model' });
  const namespace = flags.namespace ?? 'default';
  const kube = await connectKube(flags.kubeconfig ?? env.MODELSHIP_INPUT_KUBECONFIG, {
    describe: flags.kubeconfig ? '--kubeconfig' : 'MODELSHIP_INPUT_KUBECONFIG',
    env,
  });
  const record = await readRecord(kube, namespace, flags.app);
  if (flags.json === 'true') {
    process.stdout.write(`${JSON.stringify(record.releases, null, 2)}\n`);
    return EXIT.passed;
  }
  if (!record.releases.length) {
    const why = record.damaged ? 'is damaged (it no longer parses)' : 'does not exist';
    process.stdout.write(
      `${flags.app} in ${namespace}: the release record ${recordName(flags.app)} ${why}\n`,
    );
    return EXIT.passed;
  }
  process.stdout.write(`${table(HISTORY_COLUMNS, historyRows(record.releases))}\n`);
  return EXIT.passed;
}

function table(columns: string[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map(line)].join('\n');
}
