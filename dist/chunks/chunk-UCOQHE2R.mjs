import{createRequire as __mkRequire}from'node:module';const require=__mkRequire(import.meta.url);
var VERSION="0.1.0";export{VERSION};
