/**
 * What makes a comment ours: a hidden HTML comment on its first line, keyed so that each step
 * (or each step and dataset) owns exactly one comment per pull request or merge request.
 */

// The key ends up inside `<!-- … -->`: no spaces, no `>`, no `--`, so nothing can close it early.
const KEY = /^[A-Za-z0-9][\w.:/@+-]*$/;

export function marker(key: string): string {
  if (!KEY.test(key) || key.includes('--'))
    throw new Error(`comment key ${JSON.stringify(key)} must be letters, digits and . _ : / @ + -`);
  return `<!-- modelship:${key} -->`;
}

/** Only the first line counts, so a quote or a copy of our comment further down is not ours. */
export function isOurs(body: string, key: string): boolean {
  return (body.split(/\r?\n/, 1)[0] ?? '').trim() === marker(key);
}

/**
 * The body with its marker, cut to the forge's limit with a note saying so. The cut falls on a
 * line break where it can, and closes what it leaves open (a code fence, a `<details>`), since
 * either would swallow the note.
 */
export function compose(key: string, body: string, limit: number): string {
  const head = `${marker(key)}\n`;
  const full = head + body;
  if (full.length <= limit) return full;
  const note = (omitted: number) =>
    `\n\n> [!NOTE]\n> Truncated: ${omitted.toLocaleString('en-US')} characters did not fit in the ` +
    `comment. The full report is in the job's summary and report files.\n`;
  // The omitted count only shrinks as we keep more, so the longest note is the one to leave room for.
  const room = limit - note(full.length).length;
  let kept = '';
  let tail = '';
  // Closing tags take room too, and a shorter cut may leave different ones open: settle in a few rounds.
  for (let round = 0; round < 4 && (round === 0 || kept.length + tail.length > room); round++) {
    kept = cut(full, room - tail.length, head.length);
    tail = closers(kept);
  }
  const out = kept + tail + note(full.length - kept.length);
  // Only a pathological body (dozens of nested tags) gets here; the marker must survive regardless.
  return out.length <= limit ? out : (head + note(body.length)).slice(0, limit);
}

/** A prefix of at most `max` characters, ending on a line break if one is near; the marker always stays. */
function cut(text: string, max: number, keep: number): string {
  let kept = text.slice(0, Math.max(keep, max));
  const line = kept.lastIndexOf('\n');
  if (line >= keep && line > kept.length / 2) kept = kept.slice(0, line);
  // Never split a surrogate pair: the half left behind is not valid text.
  else if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1);
  return kept;
}

function closers(text: string): string {
  let fence: string | undefined;
  for (const m of text.matchAll(/^ {0,3}(`{3,}|~{3,})/gm)) {
    const f = m[1]!;
    if (!fence) fence = f;
    else if (f[0] === fence[0] && f.length >= fence.length) fence = undefined;
  }
  // Inside an open fence, tags are literal text, so only the fence needs closing.
  const prose = fence ? text.slice(0, text.lastIndexOf(fence)) : text;
  const details = (prose.match(/<details\b/gi)?.length ?? 0) - (prose.match(/<\/details>/gi)?.length ?? 0);
  const open = Math.min(Math.max(0, details), 8);
  return `${fence ? `\n${fence}` : ''}${'\n\n</details>'.repeat(open)}`;
}
