import type { Block, Summary } from './summary.ts';

const SGR = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33 } as const;
export type Style = keyof typeof SGR;

/** ANSI styling, or the text unchanged when colour is off; callers decide (platform/detect). */
export const paint = (text: string, style: Style, colour: boolean) =>
  colour ? `\x1b[${SGR[style]}m${text}\x1b[0m` : text;

function table(b: Extract<Block, { kind: 'table' }>, indent: string, colour: boolean): string {
  const widths = b.columns.map((c, i) => Math.max(c.length, ...b.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => (b.numeric?.[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [
    paint(line(b.columns), 'dim', colour),
    indent + widths.map((w) => '─'.repeat(w)).join('  '),
    ...b.rows.map(line),
  ].join('\n');
}

function block(b: Block, colour: boolean, indent = ''): string {
  switch (b.kind) {
    case 'heading':
      return `\n${indent}${paint(b.text, 'bold', colour)}`;
    case 'text':
      return indent + b.text.replace(/\*\*|`/g, '');
    case 'table':
      return table(b, indent, colour);
    case 'mermaid':
      return '';
    case 'details':
      return `\n${indent}${paint(b.title, 'bold', colour)}\n${b.blocks.map((x) => block(x, colour, `${indent}  `)).join('\n')}`;
  }
}

/** Text for a terminal or a CI log; colour only when asked, so a log or a file reads plain. */
export function renderTerminal(s: Summary, options: { colour?: boolean } = {}): string {
  const colour = options.colour ?? false;
  const mark = s.passed ? paint('PASSED', 'green', colour) : paint('FAILED', 'red', colour);
  return (
    [
      `${s.title}: ${paint(mark, 'bold', colour)} — ${s.headline}`,
      ...s.blocks.map((b) => block(b, colour)).filter((b) => b !== ''),
    ].join('\n') + '\n'
  );
}
