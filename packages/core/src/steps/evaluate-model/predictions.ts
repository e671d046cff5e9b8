/**
 * Every scored row's label and predictions as CSV: for audits, and for checking modelship's
 * metrics against any other tool on exactly the same numbers. Streamed through the shared writer,
 * so a failed run never leaves half a file and a device or FIFO is written through, not replaced.
 */
import { writeFileAtomic } from '../../files/atomic.ts';
import type { Outcome } from './measure.ts';

const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** `input` names the path's input for error messages (`--predictions`). */
export async function writePredictions(
  path: string,
  outcomes: Outcome[],
  classes: readonly string[],
  label: string,
  input?: string,
): Promise<void> {
  await writeFileAtomic(path, csvLines(outcomes, classes, label), input ? { input } : {});
}

/** Lines in chunks of rows, so a million rows neither sit in one string nor cost a write each. */
function* csvLines(outcomes: Outcome[], classes: readonly string[], label: string): Generator<string> {
  const roles = ['model', 'baseline'];
  const header = [label];
  outcomes.forEach((o, m) => {
    header.push(`${roles[m]}_prediction`);
    if (o.proba) for (const c of classes) header.push(`${roles[m]}_p_${c}`);
  });
  const text = (v: number) => (classes.length ? quote(classes[v]!) : String(v));
  yield `${header.map(quote).join(',')}\n`;
  const rows = outcomes[0]!.truth.length;
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const cells = [text(outcomes[0]!.truth[i]!)];
    for (const o of outcomes) {
      cells.push(text(o.predicted[i]!));
      if (o.proba) for (let j = 0; j < o.k; j++) cells.push(String(o.proba[i * o.k + j]));
    }
    chunk += `${cells.join(',')}\n`;
    if (chunk.length >= 65536) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}
