/**
 * The training image's entry, for train-dispatch: trains the iris model with examples/train.ts and
 * hands it on. On Kubernetes (every rank runs this) the ranks first meet at rank 0's rendezvous
 * port, as DDP's TCP store does: rank 0 listens on MASTER_PORT, each other rank connects to
 * MASTER_ADDR and says its rank, rank 0 answers once all WORLD_SIZE - 1 have arrived. Rank 0
 * then trains and pushes the model with the modelship CLI (`build-image --runtime artifact`) to
 * MODELSHIP_MODEL_REPOSITORY under MODELSHIP_MODEL_TAG, or, on the `local` target, writes it
 * into MODELSHIP_MODEL_DIR for the step to push.
 *
 * Params (PARAM_* variables): ITERATIONS (default 300); for tests and demos, SLEEP_SECONDS (wait
 * before training), FAIL_WITH (exit with this code after a line of output), ALLOCATE_MIB (hold
 * this much memory, to meet a memory limit).
 *
 *   TRAIN_SCRIPT   the trainer (default ../train.ts beside this file); TRAIN_DATA the CSV;
 *   MODELSHIP_CLI  the CLI (default /opt/modelship/cli.mjs).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// As a container's PID 1, Node has no default SIGTERM action: without this a cancelled Job's
// pods would wait out their grace period.
process.on('SIGTERM', () => process.exit(143));

const env = process.env;
const rank = Number(env.RANK ?? '0');
const world = Number(env.WORLD_SIZE ?? '1');
const say = (line: string) => process.stdout.write(`${line}\n`);

say(
  `rank=${rank} world_size=${world} master=${env.MASTER_ADDR}:${env.MASTER_PORT} pet_nnodes=${env.PET_NNODES} pet_node_rank=${env.PET_NODE_RANK}`,
);
say(`params file ${env.MODELSHIP_PARAMS ?? '(none)'}`);

if (env.PARAM_ALLOCATE_MIB) {
  const held: Buffer[] = [];
  for (let i = 0; i < Number(env.PARAM_ALLOCATE_MIB); i++) held.push(Buffer.alloc(1 << 20, 1));
  say(`holding ${held.length} MiB`);
}
if (env.PARAM_SLEEP_SECONDS) await sleep(Number(env.PARAM_SLEEP_SECONDS) * 1000);
if (env.PARAM_FAIL_WITH) {
  process.stderr.write('training diverged: loss is NaN\n');
  process.exit(Number(env.PARAM_FAIL_WITH));
}
if (world > 1) await rendezvous();
if (rank !== 0) {
  say('done (rank 0 saves the model)');
  process.exit(0);
}

// Minimal images (the tests' Node base) have no /tmp at all.
mkdirSync(tmpdir(), { recursive: true });
const out = join(mkdtempSync(join(tmpdir(), 'trainer-')), 'model.onnx');
await exec(process.execPath, [
  env.TRAIN_SCRIPT ?? join(import.meta.dirname, '..', 'train.ts'),
  out,
  '--iterations',
  env.PARAM_ITERATIONS ?? '300',
  ...(env.TRAIN_DATA ? ['--data', env.TRAIN_DATA] : []),
]);
if (env.MODELSHIP_MODEL_DIR) {
  mkdirSync(env.MODELSHIP_MODEL_DIR, { recursive: true });
  copyFileSync(out, join(env.MODELSHIP_MODEL_DIR, 'model.onnx'));
  say(`model written to ${env.MODELSHIP_MODEL_DIR}`);
} else if (env.MODELSHIP_MODEL_REPOSITORY) {
  await exec(process.execPath, [
    env.MODELSHIP_CLI ?? '/opt/modelship/cli.mjs',
    'build-image',
    '--runtime',
    'artifact',
    '--model',
    out,
    '--name',
    env.MODELSHIP_MODEL_REPOSITORY,
    '--tags',
    env.MODELSHIP_MODEL_TAG ?? 'latest',
    '--push',
    'true',
    '--annotations',
    env.MODELSHIP_MODEL_ANNOTATIONS ?? '',
    '--report',
    join(tmpdir(), 'build-image.json'),
  ]);
}

async function rendezvous(): Promise<void> {
  const port = Number(env.MASTER_PORT);
  if (rank === 0) {
    const peers = await new Promise<Socket[]>((resolve) => {
      const seen: Socket[] = [];
      const server = createServer((s) => {
        s.once('data', (d) => {
          say(`rendezvous: ${d.toString().trim()} connected`);
          seen.push(s);
          if (seen.length === world - 1) {
            server.close();
            resolve(seen);
          }
        });
      });
      server.listen(port, '0.0.0.0', () => say(`rendezvous: rank 0 listening on ${port}`));
    });
    for (const s of peers) s.end('go\n');
    say(`rendezvous: all ${world} ranks met`);
    return;
  }
  for (let attempt = 1; ; attempt++) {
    const answer = await new Promise<string | undefined>((resolve) => {
      const s = connect(port, env.MASTER_ADDR ?? '127.0.0.1', () => s.write(`rank ${rank}\n`));
      let text = '';
      s.on('data', (d) => (text += d));
      s.on('end', () => resolve(text.trim()));
      s.on('error', () => resolve(undefined));
    });
    if (answer === 'go') {
      say(`rendezvous: rank ${rank} connected to rank 0 at ${env.MASTER_ADDR}:${port}`);
      return;
    }
    if (attempt % 10 === 1) say(`rendezvous: rank 0 not reachable yet (attempt ${attempt})`);
    await sleep(500);
  }
}

function exec(program: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : process.exit(code ?? 1)));
  });
}
