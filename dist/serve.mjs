#!/usr/bin/env node
import{createRequire as __mkRequire}from'node:module';const require=__mkRequire(import.meta.url);
import{serve}from"./chunks/chunk-IZOJQ3TR.mjs";import"./chunks/chunk-DUMSBHTX.mjs";import"./chunks/chunk-XB2BSVYG.mjs";import"./chunks/chunk-K6VXXMTJ.mjs";import"./chunks/chunk-UCOQHE2R.mjs";import"./chunks/chunk-HOFPWURQ.mjs";import"./chunks/chunk-5R67JMR4.mjs";import"./chunks/chunk-DNV3EKK7.mjs";import"./chunks/chunk-AL4Y7R3F.mjs";process.exitCode=await serve(process.argv.slice(2));
