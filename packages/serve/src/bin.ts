#!/usr/bin/env node
/** The image's entrypoint (`node dist/serve.mjs`): the server alone, configured by MODELSHIP_* variables. */
import { serve } from './main.ts';

process.exitCode = await serve(process.argv.slice(2));
