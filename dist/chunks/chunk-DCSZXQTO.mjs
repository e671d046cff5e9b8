import{createRequire as __mkRequire}from'node:module';const require=__mkRequire(import.meta.url);
var LITTLE_ENDIAN=new Uint8Array(Uint32Array.of(1).buffer)[0]===1;export{LITTLE_ENDIAN};
