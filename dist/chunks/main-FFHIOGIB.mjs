import{createRequire as __mkRequire}from'node:module';const require=__mkRequire(import.meta.url);
import{flagsToEnv,serve,serveHelp}from"./chunk-FW6VZTQC.mjs";import"./chunk-5R67JMR4.mjs";import"./chunk-5NDQ6BLO.mjs";import"./chunk-IS33DVWV.mjs";import"./chunk-3DVVJUG4.mjs";import"./chunk-K6VXXMTJ.mjs";import"./chunk-DNV3EKK7.mjs";import"./chunk-AL4Y7R3F.mjs";export{flagsToEnv,serve,serveHelp};
