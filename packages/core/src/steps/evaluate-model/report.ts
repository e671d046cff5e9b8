/**
 * The JSON report: every number the step computed, named as in gates, plus what was run on
 * what (files, signatures, device), so the report alone can be recorded on an image and audited.
 */
import { relative } from 'node:path';
import type { Source } from '../../data/sources.ts';
import type { GateResult } from '../../metrics/gates.ts';
import type { Runtime } from '../../onnx/session.ts';
import type { Platform } from '../../platform/port.ts';
import { VERSION } from '../../version.ts';
import type { Comparison, Quality, Scores, Speed } from './measure.ts';
import type { Plan, Task } from './plan.ts';
import type { Scored } from './score.ts';
import type { EvaluateModelInputs } from './spec.ts';

export interface Report {
  step: 'evaluate-model';
  version: string;
  passed: boolean;
  created: string;
  run_url: string | null;
  task: Task;
  classes: string[];
  data: { files: string[]; label: string; features: string[]; rows: number; skipped: Scored['skipped'] };
  device: { device: string; providers: string[]; reason: string };
  model: ModelFacts;
  metrics: Scores;
  confusion_matrix?: number[][];
  per_class?: Quality['perClass'];
  baseline: (ModelFacts & { metrics: Scores; confusion_matrix?: number[][] }) | null;
  comparison: Comparison | null;
  gates: GateResult[];
  performance: { batch_size: number; model: Speed; baseline: Speed | null };
  robustness: { perturbation: string; metrics: Scores; drop: Scores }[];
  slices: { column: string; values: { value: string; rows: number; metrics: Scores }[] }[];
}

interface ModelFacts {
  file: string;
  bytes: number;
  signature: Plan['models'][number]['signature'];
  inputs: { mode: 'matrix' | 'columns'; features: string[] };
  outputs: { prediction: string | null; probabilities: string | null };
}

export interface ReportParts {
  inputs: EvaluateModelInputs;
  platform: Platform;
  source: Source;
  plan: Plan;
  runtime: Runtime;
  task: Task;
  classes: string[];
  scored: Scored;
  qualities: Quality[];
  speeds: Speed[];
  comparison: Comparison | undefined;
  robustness: Report['robustness'];
  slices: Report['slices'];
  gates: GateResult[];
  passed: boolean;
}

const rel = (f: string) => relative(process.cwd(), f) || f;

function facts(m: Plan['models'][number]): ModelFacts {
  return {
    file: m.opened.file,
    bytes: m.opened.bytes,
    signature: m.signature,
    inputs: { mode: m.feeds.mode, features: m.feeds.features },
    outputs: {
      prediction: m.outputs.prediction?.name ?? null,
      probabilities: m.outputs.probabilities?.name ?? null,
    },
  };
}

export function buildReport(p: ReportParts): Report {
  const [model, baseline] = p.plan.models;
  const [q, qb] = p.qualities;
  return {
    step: 'evaluate-model',
    version: VERSION,
    passed: p.passed,
    created: new Date().toISOString(),
    run_url: p.platform.runUrl() ?? null,
    task: p.task,
    classes: p.classes,
    data: {
      files: p.source.files.map(rel),
      label: p.plan.label,
      features: p.plan.features,
      rows: p.scored.rows,
      skipped: p.scored.skipped,
    },
    device: { device: p.runtime.plan.device, providers: p.runtime.plan.providers, reason: p.runtime.reason },
    model: facts(model!),
    metrics: q!.scores,
    ...(q!.confusion && { confusion_matrix: q!.confusion }),
    ...(q!.perClass && { per_class: q!.perClass }),
    baseline:
      baseline && qb
        ? { ...facts(baseline), metrics: qb.scores, ...(qb.confusion && { confusion_matrix: qb.confusion }) }
        : null,
    comparison: p.comparison ?? null,
    gates: p.gates,
    performance: {
      batch_size: p.inputs['batch-size'],
      model: p.speeds[0]!,
      baseline: p.speeds[1] ?? null,
    },
    robustness: p.robustness,
    slices: p.slices,
  };
}
