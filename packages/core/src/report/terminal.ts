import type { Block, Summary } from './summary.ts';

function table(b: Extract<Block, { kind: 'table' }>, indent: string): string {
  const widths = b.columns.map((c, i) => Math.max(c.length, ...b.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => (b.numeric?.[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(b.columns), indent + widths.map((w) => '─'.repeat(w)).join('  '), ...b.rows.map(line)].join(
    '\n',
  );
}

function block(b: Block, indent = ''): string {
  switch (b.kind) {
    case 'heading':
      return `\n${indent}${b.text}`;
    case 'text':
      return indent + b.text.replace(/\*\*|`/g, '');
    case 'table':
      return table(b, indent);
    case 'mermaid':
      return '';
    case 'details':
      return `\n${indent}${b.title}\n${b.blocks.map((x) => block(x, `${indent}  `)).join('\n')}`;
  }
}

/** Plain text for a terminal or a CI log; no colour so it reads the same in a file. */
export function renderTerminal(s: Summary): string {
  const mark = s.passed ? 'PASSED' : 'FAILED';
  return (
    [`${s.title}: ${mark} — ${s.headline}`, ...s.blocks.map((b) => block(b)).filter((b) => b !== '')].join(
      '\n',
    ) + '\n'
  );
}
