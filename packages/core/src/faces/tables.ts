/** The inputs/outputs tables in each README, and the marker blocks that hold generated text. */
import type { StepSpec } from '../steps/spec.ts';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function inputsTable(spec: StepSpec, nameOf: (n: string) => string = (n) => `\`${n}\``): string {
  const rows = Object.entries(spec.inputs).map(([n, f]) => {
    const def = f.required ? '**required**' : f.default !== undefined ? `\`${f.default}\`` : '';
    const desc = f.choices
      ? `${f.description} One of ${f.choices.map((c) => `\`${c}\``).join(', ')}.`
      : f.description;
    // Said once: an input masked for some values only says which itself, as some others do.
    const masked = f.secret === true && !/\bmasked\b/i.test(desc);
    return `| ${nameOf(n)} | ${cell(desc)}${masked ? ' Masked in logs.' : ''} | ${def} | ${f.example ? `\`${f.example}\`` : ''} |`;
  });
  return ['| input | description | default | example |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export function outputsTable(spec: StepSpec, nameOf: (n: string) => string = (n) => `\`${n}\``): string {
  const rows = Object.entries(spec.outputs).map(([n, o]) => `| ${nameOf(n)} | ${cell(o.description)} |`);
  return ['| output | description |', '| --- | --- |', ...rows].join('\n');
}

/** Replace the text between `<!-- gen:NAME -->` and `<!-- /gen:NAME -->`, keeping the rest as written. */
export function replaceBlock(text: string, name: string, content: string): string {
  const start = `<!-- gen:${name} -->`;
  const end = `<!-- /gen:${name} -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i === -1 || j === -1 || j < i) throw new Error(`missing ${start} … ${end} markers`);
  return `${text.slice(0, i + start.length)}\n${content}\n${text.slice(j)}`;
}
