/**
 * The `modelship` command's own surface: the Node it needs, help, flags, colour, and the
 * `versions` commands' checks, run as users run it (the sources in this checkout, and the bundle
 * the package ships for what only a bundle can show).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { parseFlags } from '../packages/core/src/faces/argv.ts';
import { stepHelp } from '../packages/core/src/faces/help.ts';
import { Registry } from '../packages/core/src/oci/client.ts';
import { sha256Bytes } from '../packages/core/src/oci/digest.ts';
import { MEDIA } from '../packages/core/src/oci/types.ts';
import { kebabToEnv } from '../packages/core/src/platform/port.ts';
import { STEPS } from '../packages/core/src/steps/catalog.ts';
import { buildCli } from './support/cli-package.ts';
import { startRegistry } from './support/registry.ts';
import { cleanEnv, NODE, ROOT, run, STACK, tempDir } from './support/run.ts';

const BIN = join(ROOT, 'packages', 'cli', 'src', 'bin.ts');
const cli = (args: string[], env: Record<string, string> = {}) =>
  run(NODE, [BIN, ...args], { env: cleanEnv(env) });

/** Some Node older than the one required: Debian's /usr/bin/node (20) on the machines we test on. */
function olderNode(required: number): string {
  const candidates = [
    '/usr/bin/node',
    '/usr/local/bin/node',
    ...(process.env.PATH ?? '').split(':').map((d) => join(d, 'node')),
  ];
  for (const bin of candidates) {
    if (!existsSync(bin)) continue;
    const v = execFileSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    if (Number(v.split('.')[0]) < required) return bin;
  }
  throw new Error(`this test needs a Node older than ${required} on the machine (e.g. Debian's nodejs)`);
}

describe('the Node it runs on', () => {
  const engines = (dir: string) =>
    (JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { engines?: { node?: string } })
      .engines?.node;
  const required = Number(/^>=(\d+)$/.exec(engines('.') ?? '')?.[1]);

  it('every package declares the same engines as the root', () => {
    assert.ok(required >= 24, `root engines: ${engines('.')}`);
    for (const p of ['packages/cli', 'packages/core', 'packages/serve'])
      assert.equal(engines(p), `>=${required}`, `${p}/package.json engines.node`);
  });

  it('the bundled CLI on an older Node says which Node it needs: exit 2, one line', async () => {
    const old = olderNode(required);
    const dist = await buildCli();
    for (const args of [['--version'], ['validate-data', '--data', 'x.csv', '--contract', 'c.yml']]) {
      const r = await run(old, [join(dist, 'cli.mjs'), ...args], { env: cleanEnv() });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(
        r.stderr,
        new RegExp(
          `^error: modelship needs Node ${required} or newer, and this is Node \\d+\\.\\d+\\.\\d+\\. Install Node ${required} .*\\n$`,
        ),
      );
      assert.equal(r.stderr.split('\n').length, 2, 'one line');
    }
    const current = await run(NODE, [join(dist, 'cli.mjs'), '--version'], { env: cleanEnv() });
    assert.equal(current.code, 0, current.stderr);
  });
});

describe('help', () => {
  it('`modelship help <step>` is the step’s help', async () => {
    for (const s of STEPS) {
      const r = await cli(['help', s.spec.id]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, stepHelp(s.spec));
    }
    const versions = await cli(['help', 'versions']);
    assert.match(versions.stdout, /^Usage: modelship versions /);
    const unknown = await cli(['help', 'validate-dta']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^error: unknown step 'validate-dta'\. Did you mean 'validate-data'\?/m);
  });

  it('each step’s help names one of its own inputs as the variable example', () => {
    for (const s of STEPS) {
      const example = /e\.g\. MODELSHIP_INPUT_(\w+) for --([\w-]+)/.exec(stepHelp(s.spec));
      assert.ok(example, s.spec.id);
      assert.ok(example[2]! in s.spec.inputs, `${s.spec.id}: --${example[2]}`);
      assert.equal(example[1], kebabToEnv(example[2]!));
    }
  });
});

describe('flags', () => {
  const set = {
    command: 'x',
    flags: { data: 'path', contract: 'path', push: 'boolean' },
    booleans: ['push'],
  };

  it('an option followed by another option is missing its value', async () => {
    assert.throws(() => parseFlags(['--data', '--contract', 'c.yml'], set), /option '--data' needs a value/);
    assert.throws(() => parseFlags(['--contract', 'c.yml', '--data'], set), /option '--data' needs a value/);
    assert.deepEqual(parseFlags(['--push', '--data', 'd'], set).flags, { push: 'true', data: 'd' });
    assert.deepEqual(parseFlags(['--data=--odd-name.csv'], set).flags, { data: '--odd-name.csv' });
    assert.deepEqual(parseFlags(['--data', '-'], set).flags, { data: '-' }, 'a lone dash is a value');

    const r = await cli(['validate-data', '--data', '--contract', 'c.yml']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: option '--data' needs a value\. Write --data <path>/);
    assert.doesNotMatch(r.stderr, /unexpected argument/);
  });
});

describe('colour', () => {
  const SGR = /\x1b\[(?:[12]|3\d)m/;
  /** The CLI on a real pseudo-terminal (util-linux `script`), its output as the terminal got it. */
  const onTerminal = (args: string[], env: Record<string, string> = {}) =>
    run('script', ['-qec', [NODE, BIN, ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], {
      env: cleanEnv({ TERM: 'xterm', ...env }),
    });
  const mistake = ['validate-data', '--data'];

  it('on a terminal, errors are coloured unless NO_COLOR is set or it is a CI job', async () => {
    const tty = await onTerminal(mistake);
    assert.match(tty.stdout, /\x1b\[31merror:\x1b\[0m option '--data' needs a value/);
    const plain: Record<string, string>[] = [
      { NO_COLOR: '1' },
      { CI: 'true' },
      { TERM: 'dumb' },
      { FORCE_COLOR: '0' },
    ];
    for (const env of plain) {
      const r = await onTerminal(mistake, env);
      assert.match(r.stdout, /error: option '--data' needs a value/, JSON.stringify(env));
      assert.doesNotMatch(r.stdout, SGR, JSON.stringify(env));
    }
  });

  it('piped output is plain; FORCE_COLOR colours it, NO_COLOR wins', async () => {
    assert.doesNotMatch((await cli(mistake)).stderr, SGR);
    assert.match((await cli(mistake, { FORCE_COLOR: '1' })).stderr, SGR);
    assert.doesNotMatch((await cli(mistake, { FORCE_COLOR: '1', NO_COLOR: '1' })).stderr, SGR);
  });

  it('the summary is coloured when colour is on, and never in a GitLab job log or report', async (t) => {
    const dir = await tempDir(t);
    const args = [
      'validate-data',
      '--data',
      'examples/data/iris-train.csv',
      '--contract',
      'examples/contract.yml',
    ];
    const local = await cli([...args, '--report', join(dir, 'local.json')], { FORCE_COLOR: '1' });
    assert.equal(local.code, 0, local.stderr);
    assert.match(local.stderr, /validate-data: \x1b\[1m\x1b\[32mPASSED\x1b\[0m\x1b\[0m —/);
    assert.doesNotMatch(local.stdout, SGR, 'outputs on stdout stay JSON');
    assert.doesNotMatch(readFileSync(join(dir, 'local.json'), 'utf8'), SGR);

    const gitlab = await cli([...args, '--report', join(dir, 'gl.json')], {
      FORCE_COLOR: '1',
      MODELSHIP_PLATFORM: 'gitlab',
      MODELSHIP_SUMMARY: join(dir, 'summary.md'),
      MODELSHIP_DOTENV: join(dir, 'out.env'),
      MODELSHIP_JUNIT: join(dir, 'junit.xml'),
    });
    assert.equal(gitlab.code, 0, gitlab.stderr);
    assert.match(gitlab.stdout, /validate-data: PASSED —/);
    assert.doesNotMatch(gitlab.stdout + gitlab.stderr, SGR);
    assert.doesNotMatch(readFileSync(join(dir, 'summary.md'), 'utf8'), SGR);
  });

  it('writes the JUnit report and the Markdown summary where a CI without a platform of its own (Jenkins) asks', async (t) => {
    const dir = await tempDir(t);
    const r = await cli(
      [
        'validate-data',
        '--data',
        'examples/data/iris-train.csv',
        '--contract',
        'examples/contract.yml',
        '--report',
        join(dir, 'report.json'),
      ],
      { MODELSHIP_JUNIT: join(dir, 'junit.xml'), MODELSHIP_SUMMARY: join(dir, 'summary.md') },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      readFileSync(join(dir, 'junit.xml'), 'utf8'),
      /<testsuite name="validate-data"[^>]* failures="0"/,
    );
    assert.match(readFileSync(join(dir, 'summary.md'), 'utf8'), /validate-data/);
    assert.ok(JSON.parse(r.stdout).report, 'the outputs stay on stdout');
  });
});

describe('versions', () => {
  it('refuses a malformed digest or stage before contacting the registry', async () => {
    // Port 9 (discard) on loopback: nothing answers, so only a check before connecting gives exit 2 here.
    const name = ['--name', '127.0.0.1:9/acme/iris'];
    const cases: [string[], RegExp][] = [
      [
        ['show', '--digest', 'sha256:zzz'],
        /^error: digest: 'sha256:zzz' is not a digest\. A digest is sha256: followed by 64 lowercase hex digits/,
      ],
      [['show', '--digest', '$(touch /tmp/pwned); echo'], /'\$\(touch \/tmp\/pwned\); echo' is not a digest/],
      [['show', '--digest', `sha256:${'A'.repeat(64)}`], /is not a digest/],
      [['show', '--digest', `sha256:${'a'.repeat(63)}`], /is not a digest/],
      [['promote', '--digest', `md5:${'a'.repeat(32)}`, '--stage', 'production'], /is not a digest/],
      [['promote', '--digest', `sha256:${'a'.repeat(64)}`, '--stage', 'a b'], /'a b' cannot be a stage/],
      [['promote', '--stage', 'production'], /versions promote needs --digest/],
      [['show'], /versions show needs --digest or --stage/],
      [['history'], /versions history needs --stage/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['versions', ...args, ...name]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, 'one line');
      assert.doesNotMatch(r.stderr, STACK);
      assert.equal(r.stdout, '');
    }
  });

  it('its usage line shows every option', async () => {
    const r = await cli(['versions', '--help']);
    for (const flag of ['--name', '--stage', '--digest', '--insecure-registry'])
      assert.ok(r.stdout.includes(flag), flag);
    assert.match(r.stdout, /MODELSHIP_INPUT_REGISTRY_USERNAME and MODELSHIP_INPUT_REGISTRY_PASSWORD/);
  });

  it('logs in with build-image’s variables (the old ones still work, with a notice); hints name the registry', async (t) => {
    const registry = await startRegistry(t, { auth: 'htpasswd' });
    const { username, password } = registry.credentials.alice!;
    const name = `${registry.host}/acme/iris`;
    const digest = await pushVersion(registry.host, { username, password });
    const versions = (args: string[], env: Record<string, string>) =>
      cli(['versions', ...args, '--name', name], env);
    const login = {
      MODELSHIP_INPUT_REGISTRY_USERNAME: username,
      MODELSHIP_INPUT_REGISTRY_PASSWORD: password,
    };

    const listed = await versions(['list'], login);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      JSON.parse(listed.stdout).map((v: { digest: string }) => v.digest),
      [digest],
    );
    assert.equal(listed.stderr, '');

    const old = await versions(['list'], {
      MODELSHIP_REGISTRY_USERNAME: username,
      MODELSHIP_REGISTRY_PASSWORD: password,
    });
    assert.equal(old.code, 0, old.stderr);
    assert.match(
      old.stderr,
      /^warning: MODELSHIP_REGISTRY_USERNAME and MODELSHIP_REGISTRY_PASSWORD are deprecated: set MODELSHIP_INPUT_REGISTRY_USERNAME/,
    );
    assert.ok(!old.stderr.includes(password), 'the password is never printed');

    const anonymous = await versions(['list'], {});
    assert.equal(anonymous.code, 2, anonymous.stderr);

    const missing = `sha256:${'0'.repeat(64)}`;
    const promote = await versions(['promote', '--digest', missing, '--stage', 'production'], login);
    assert.equal(promote.code, 2);
    assert.match(
      promote.stderr,
      new RegExp(`List the versions with: modelship versions list --name ${name}\\.?$`, 'm'),
    );
    const shown = await versions(['show', '--digest', missing], login);
    assert.equal(shown.code, 2, 'an unknown digest is not a version');
    assert.match(shown.stderr, new RegExp(`${name}@${missing} is not in the registry`));
    const empty = await versions(['show', '--stage', 'production'], login);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, new RegExp(`nothing holds stage 'production' in ${name}`));

    const ci = {
      ...login,
      GITHUB_ACTIONS: 'true',
      GITHUB_SERVER_URL: 'https://github.example',
      GITHUB_REPOSITORY: 'acme/iris',
      GITHUB_RUN_ID: '42',
    };
    const promoted = await versions(['promote', '--digest', digest, '--stage', 'production'], ci);
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal(JSON.parse(promoted.stdout).by, 'https://github.example/acme/iris/actions/runs/42');
  });
});

/** One version (an empty artifact with a creation time) pushed straight through the OCI client. */
async function pushVersion(
  host: string,
  credentials: { username: string; password: string },
): Promise<string> {
  const registry = await Registry.connect(host, { credentials });
  const empty = Buffer.from('{}');
  const blob = { digest: sha256Bytes(empty), size: empty.length, open: () => Readable.from([empty]) };
  await registry.pushBlob('acme/iris', blob);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      artifactType: 'application/vnd.modelship.test',
      config: { mediaType: MEDIA.ociEmpty, digest: blob.digest, size: blob.size },
      layers: [{ mediaType: MEDIA.ociEmpty, digest: blob.digest, size: blob.size }],
      annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' },
    }),
  );
  await registry.putManifest('acme/iris', 'v1', manifest, MEDIA.ociManifest);
  return sha256Bytes(manifest);
}
