import{createRequire as __mkRequire}from'node:module';const require=__mkRequire(import.meta.url);
import{runAction}from"../chunks/chunk-GERLNJAI.mjs";import"../chunks/chunk-PWZ3GNMY.mjs";import"../chunks/chunk-WXSNYZZ4.mjs";import"../chunks/chunk-DNV3EKK7.mjs";import"../chunks/chunk-AL4Y7R3F.mjs";await runAction("evaluate-model");
