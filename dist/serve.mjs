#!/usr/bin/env node
import{createRequire as __mkRequire}from'node:module';const require=__mkRequire(import.meta.url);
import{serve}from"./chunks/chunk-FW6VZTQC.mjs";import"./chunks/chunk-5R67JMR4.mjs";import"./chunks/chunk-5NDQ6BLO.mjs";import"./chunks/chunk-IS33DVWV.mjs";import"./chunks/chunk-3DVVJUG4.mjs";import"./chunks/chunk-K6VXXMTJ.mjs";import"./chunks/chunk-DNV3EKK7.mjs";import"./chunks/chunk-AL4Y7R3F.mjs";process.exitCode=await serve(process.argv.slice(2));
