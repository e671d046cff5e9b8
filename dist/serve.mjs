#!/usr/bin/env node
import{createRequire as __mkRequire}from'node:module';const require=__mkRequire(import.meta.url);
import{serve}from"./chunks/chunk-WYMOHBTT.mjs";import"./chunks/chunk-FE7BN62X.mjs";import"./chunks/chunk-QNMMTNVM.mjs";import"./chunks/chunk-NKYYUEYD.mjs";import"./chunks/chunk-K6VXXMTJ.mjs";import"./chunks/chunk-UCOQHE2R.mjs";import"./chunks/chunk-HOFPWURQ.mjs";import"./chunks/chunk-XQVQOVKT.mjs";import"./chunks/chunk-DNV3EKK7.mjs";import"./chunks/chunk-AL4Y7R3F.mjs";process.exitCode=await serve(process.argv.slice(2));
