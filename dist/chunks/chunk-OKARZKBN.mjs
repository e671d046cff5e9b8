import{createRequire as __mkRequire}from'node:module';const require=__mkRequire(import.meta.url);
function isKubeconfigContent(value){let v=value.trim();return/\n/.test(v)||/^(apiVersion|kind|clusters|\{)/.test(v)}export{isKubeconfigContent};
