import{createRequire as __mkRequire}from'node:module';const require=__mkRequire(import.meta.url);
var escapeCell=s=>s.replace(/\|/g,"\\|").replace(/\r?\n/g,"<br>");function table(b){let head=`| ${b.columns.map(escapeCell).join(" | ")} |`,rule=`|${b.columns.map((_,i)=>b.numeric?.[i]?" ---: ":" --- ").join("|")}|`,rows=b.rows.map(r=>`| ${r.map(escapeCell).join(" | ")} |`);return[head,rule,...rows].join(`
`)}function block(b){switch(b.kind){case"heading":return`### ${b.text}`;case"text":return b.text;case"table":return table(b);case"mermaid":return`\`\`\`mermaid
${b.source}
\`\`\``;case"details":return`<details><summary>${b.title}</summary>

${b.blocks.map(block).join(`

`)}

</details>`}}function renderMarkdown(s){return[`## ${s.passed?"\u2705":"\u274C"} ${s.title}`,`**${s.headline}**`,...s.blocks.map(block)].join(`

`)+`
`}export{renderMarkdown};
