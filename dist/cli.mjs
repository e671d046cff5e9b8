#!/usr/bin/env node
import{createRequire as __mkRequire}from'node:module';const require=__mkRequire(import.meta.url);
var running=process.versions.node;Number(running.split(".")[0])<24&&(process.stderr.write(`error: modelship needs Node 24 or newer, and this is Node ${running}. Install Node 24 (on GitHub: actions/setup-node with node-version: 24; in a container: the node:24 image) and run it again.
`),process.exit(2));var{enableCompileCache}=await import("node:module");enableCompileCache();await import("./chunks/main-4BYJFTDU.mjs");
