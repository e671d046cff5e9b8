/**
 * The `local` target: the training command on the runner itself, without a shell (the program and
 * its arguments as given), with the same variables a Job gets. The trainer writes its model into
 * `MODELSHIP_MODEL_DIR`; the step pushes it (collect.ts) like any other target's model file.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../errors.ts';
import { parseDuration } from '../format/duration.ts';
import type { TrainDispatchInputs } from '../steps/train-dispatch/spec.ts';
import { paramEnvName } from './kubernetes/job.ts';
import type { TrainOutcome, TrainTarget } from './target.ts';

const TAIL = 40;

export function localTarget(inputs: TrainDispatchInputs): TrainTarget {
  return {
    async run(request, { log, signal }) {
      const dir = await mkdtemp(join(tmpdir(), 'modelship-train-'));
      const modelDir = join(dir, 'model');
      await writeFile(join(dir, 'params.json'), `${JSON.stringify(request.params, null, 2)}\n`);
      const [program, ...rest] = [...inputs.command, ...inputs.args];
      const env = {
        ...process.env,
        ...Object.fromEntries(Object.entries(request.params).map(([k, v]) => [paramEnvName(k), v])),
        ...request.env,
        MODELSHIP_PARAMS: join(dir, 'params.json'),
        MODELSHIP_MODEL_DIR: modelDir,
        RANK: '0',
        WORLD_SIZE: '1',
      };
      const tail: string[] = [];
      const deadline = AbortSignal.timeout(parseDuration(inputs.deadline) ?? 6 * 3600_000);
      const code = await new Promise<number | string>((resolve, reject) => {
        const child = spawn(program!, rest, { env, stdio: ['ignore', 'pipe', 'pipe'] });
        const kill = () => child.kill('SIGTERM');
        signal.addEventListener('abort', kill, { once: true });
        deadline.addEventListener('abort', kill, { once: true });
        for (const stream of [child.stdout, child.stderr])
          lines(stream, (l) => {
            log.info(`[local] ${l}`);
            tail.push(l);
            if (tail.length > TAIL) tail.shift();
          });
        child.on('error', (e) =>
          reject(
            new InputError(`command: cannot run '${program}': ${e.message}`, {
              fix: 'Give the program (on PATH or by path) and its arguments, one per line.',
            }),
          ),
        );
        child.on('close', (c, sig) => {
          signal.removeEventListener('abort', kill);
          deadline.removeEventListener('abort', kill);
          resolve(c ?? sig ?? 'unknown');
        });
      });
      const failed = (outcome: TrainOutcome) => rm(dir, { recursive: true, force: true }).then(() => outcome);
      if (signal.aborted) return failed({ status: 'cancelled', reason: 'cancelled', logTail: tail });
      if (deadline.aborted)
        return failed({
          status: 'failed',
          reason: `deadline: still running after ${inputs.deadline}`,
          logTail: tail,
        });
      if (code !== 0) return failed({ status: 'failed', reason: `exit code ${code}`, logTail: tail });
      const files = await readdir(modelDir).catch(() => [] as string[]);
      const outcome: TrainOutcome = { status: 'succeeded', logTail: tail, scratch: dir };
      if (files.length === 1) outcome.modelFile = join(modelDir, files[0]!);
      return outcome;
    },
  };
}

function lines(stream: NodeJS.ReadableStream, onLine: (l: string) => void): void {
  let partial = '';
  stream.on('data', (d: Buffer) => {
    const parts = (partial + d.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) onLine(p);
  });
  stream.on('end', () => partial && onLine(partial));
}
