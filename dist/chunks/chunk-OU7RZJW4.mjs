import{createRequire as __mkRequire}from'node:module';const require=__mkRequire(import.meta.url);
import{mkdir,rename,writeFile}from"node:fs/promises";import{dirname,resolve}from"node:path";async function writeFileAtomic(path,content){let full=resolve(path);await mkdir(dirname(full),{recursive:!0});let tmp=`${full}.${process.pid}.tmp`;return await writeFile(tmp,content),await rename(tmp,full),full}var writeJson=(path,value)=>writeFileAtomic(path,`${JSON.stringify(value,null,2)}
`);export{writeFileAtomic,writeJson};
