import{createRequire as __mkRequire}from'node:module';const require=__mkRequire(import.meta.url);
var VERSION="0.1.0";var escapeCell=s=>s.replace(/\|/g,"\\|").replace(/\r?\n/g,"<br>");function table(b){let head=`| ${b.columns.map(escapeCell).join(" | ")} |`,rule=`|${b.columns.map((_,i)=>b.numeric?.[i]?" ---: ":" --- ").join("|")}|`,rows=b.rows.map(r=>`| ${r.map(escapeCell).join(" | ")} |`);return[head,rule,...rows].join(`
`)}function block(b){switch(b.kind){case"heading":return`### ${b.text}`;case"text":return b.text;case"table":return table(b);case"mermaid":return`\`\`\`mermaid
${b.source}
\`\`\``;case"details":return`<details><summary>${b.title}</summary>

${b.blocks.map(block).join(`

`)}

</details>`}}function renderMarkdown(s){return[`## ${s.passed?"\u2705":"\u274C"} ${s.title}`,`**${s.headline}**`,...s.blocks.map(block)].join(`

`)+`
`}import{existsSync,readFileSync}from"node:fs";var DEVICES=["auto","cpu","cuda","tensorrt","webgpu"],PLANS={cpu:{device:"cpu",providers:["cpu"],native:"onnxruntime"},cuda:{device:"cuda",providers:["cuda","cpu"],native:"onnxruntime-cuda"},tensorrt:{device:"tensorrt",providers:["tensorrt","cuda","cpu"],native:"onnxruntime-cuda"},webgpu:{device:"webgpu",providers:["webgpu","cpu"],native:"onnxruntime"}};function probeGpu(env=process.env,root="/"){let visible=env.CUDA_VISIBLE_DEVICES;if(visible!==void 0&&(visible.trim()===""||visible.trim()==="-1"))return{present:!1,detail:`CUDA_VISIBLE_DEVICES='${visible}' hides every GPU`};if(process.platform!=="linux")return{present:!1,detail:`no CUDA support on ${process.platform}`};if(!existsSync(`${root}dev/nvidiactl`)||!existsSync(`${root}dev/nvidia0`))return{present:!1,detail:"no NVIDIA GPU is visible (no /dev/nvidia0)"};let version=`${root}proc/driver/nvidia/version`;return{present:!0,detail:(existsSync(version)?readFileSync(version,"utf8").split(`
`)[0]?.trim():void 0)??"NVIDIA GPU at /dev/nvidia0"}}export{VERSION,renderMarkdown,DEVICES,PLANS,probeGpu};
