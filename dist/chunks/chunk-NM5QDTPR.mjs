import{createRequire as __mkRequire}from'node:module';const require=__mkRequire(import.meta.url);
import{findStep,runStep}from"./chunk-AMEJAIT5.mjs";import{GitHubPlatform}from"./chunk-RJQCMHSI.mjs";async function runAction(id){let step=findStep(id);if(!step)throw new Error(`no step '${id}' in this bundle`);process.exitCode=await runStep(step,new GitHubPlatform)}export{runAction};
