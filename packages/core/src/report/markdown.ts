import type { Block, Summary } from './summary.ts';

const escapeCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');

function table(b: Extract<Block, { kind: 'table' }>): string {
  const head = `| ${b.columns.map(escapeCell).join(' | ')} |`;
  const rule = `|${b.columns.map((_, i) => (b.numeric?.[i] ? ' ---: ' : ' --- ')).join('|')}|`;
  const rows = b.rows.map((r) => `| ${r.map(escapeCell).join(' | ')} |`);
  return [head, rule, ...rows].join('\n');
}

function block(b: Block): string {
  switch (b.kind) {
    case 'heading':
      return `### ${b.text}`;
    case 'text':
      return b.text;
    case 'table':
      return table(b);
    case 'mermaid':
      return `\`\`\`mermaid\n${b.source}\n\`\`\``;
    case 'details':
      return `<details><summary>${b.title}</summary>\n\n${b.blocks.map(block).join('\n\n')}\n\n</details>`;
  }
}

export function renderMarkdown(s: Summary): string {
  const icon = s.passed ? '✅' : '❌';
  return [`## ${icon} ${s.title}`, `**${s.headline}**`, ...s.blocks.map(block)].join('\n\n') + '\n';
}
