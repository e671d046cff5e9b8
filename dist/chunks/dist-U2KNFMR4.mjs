import{createRequire as __mkRequire}from'node:module';const require=__mkRequire(import.meta.url);
import{require_dist}from"./chunk-UR5OPHLT.mjs";import"./chunk-AL4Y7R3F.mjs";export default require_dist();
