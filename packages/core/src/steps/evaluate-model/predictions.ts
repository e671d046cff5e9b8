/**
 * Every scored row's label and predictions as CSV: for audits, and for checking modelship's
 * metrics against any other tool on exactly the same numbers. Written streaming, then renamed
 * into place, so a failed run never leaves half a file.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { finished } from 'node:stream/promises';
import type { Outcome } from './measure.ts';

const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export async function writePredictions(
  path: string,
  outcomes: Outcome[],
  classes: readonly string[],
  label: string,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.partial`;
  const out = createWriteStream(partial);
  const roles = ['model', 'baseline'];
  const header = [label];
  outcomes.forEach((o, m) => {
    header.push(`${roles[m]}_prediction`);
    if (o.proba) for (const c of classes) header.push(`${roles[m]}_p_${c}`);
  });
  const text = (v: number) => (classes.length ? quote(classes[v]!) : String(v));
  try {
    out.write(`${header.map(quote).join(',')}\n`);
    const rows = outcomes[0]!.truth.length;
    for (let i = 0; i < rows; i++) {
      const cells = [text(outcomes[0]!.truth[i]!)];
      for (const o of outcomes) {
        cells.push(text(o.predicted[i]!));
        if (o.proba) for (let j = 0; j < o.k; j++) cells.push(String(o.proba[i * o.k + j]));
      }
      if (!out.write(`${cells.join(',')}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    out.end();
    await finished(out);
    await rename(partial, path);
  } catch (e) {
    out.destroy();
    await rm(partial, { force: true });
    throw e;
  }
}
