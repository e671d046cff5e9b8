#!/usr/bin/env node
import{createRequire as __mkRequire}from'node:module';const require=__mkRequire(import.meta.url);
import{serve}from"./chunks/chunk-ILMQTBBS.mjs";import"./chunks/chunk-RO7SKZ52.mjs";import"./chunks/chunk-K6VXXMTJ.mjs";import"./chunks/chunk-H2J7IFWL.mjs";import"./chunks/chunk-OZR2UDF6.mjs";import"./chunks/chunk-U3YG3CBG.mjs";import"./chunks/chunk-HOFPWURQ.mjs";import"./chunks/chunk-UCOQHE2R.mjs";import"./chunks/chunk-2SGD45KP.mjs";import"./chunks/chunk-VUET7PEE.mjs";import"./chunks/chunk-AL4Y7R3F.mjs";process.exitCode=await serve(process.argv.slice(2));
