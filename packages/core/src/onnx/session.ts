/**
 * Opening ONNX models on onnxruntime-node, loaded through platform/native so bundles never
 * carry its binaries. A file that is not a model, or is cut short, is the user's to fix: the
 * error names the file and its size instead of showing onnxruntime's stack.
 */
import { stat } from 'node:fs/promises';
import { InputError } from '../errors.ts';
import { loadNative } from '../platform/native.ts';
import type { Logger } from '../platform/port.ts';
import { type Device, type DevicePlan, PLANS, probeGpu } from './device.ts';

export type Ort = typeof import('onnxruntime-node');
export type Session = import('onnxruntime-node').InferenceSession;

export interface Runtime {
  ort: Ort;
  plan: DevicePlan;
  /** Why this device, e.g. the GPU's driver, or why `auto` fell back to CPU. */
  reason: string;
}

export interface OpenedModel {
  session: Session;
  file: string;
  bytes: number;
  loadMs: number;
}

export interface OpenOptions {
  threads?: number;
  /**
   * Whether onnxruntime's threads spin between runs (its default). Spinning shortens the next
   * run's start; it also holds cores that other work in the process, such as DuckDB reading the
   * next rows, would use.
   */
  spin?: boolean;
  /** The input that named the file, for errors: `model`, `baseline`. */
  input: string;
}

/** Picks the device and loads the matching onnxruntime-node build. */
export async function openRuntime(device: Device, log: Logger): Promise<Runtime> {
  const load = async (plan: DevicePlan, reason: string): Promise<Runtime> => ({
    ort: await loadNative<Ort>(plan.native, log),
    plan,
    reason,
  });
  if (device === 'cpu' || device === 'webgpu') return load(PLANS[device], 'requested');
  const gpu = probeGpu();
  if (device !== 'auto') {
    if (!gpu.present) {
      throw new InputError(`device '${device}' was requested but ${gpu.detail}`, {
        where: { path: 'device' },
        fix: "Run on a GPU runner (see the README's GPU section), or set device to 'auto' to fall back to CPU.",
      });
    }
    return load(PLANS[device], gpu.detail);
  }
  if (!gpu.present) {
    log.notice(`device auto: running on CPU, because ${gpu.detail}`);
    return load(PLANS.cpu, gpu.detail);
  }
  try {
    return await load(PLANS.cuda, gpu.detail);
  } catch (e) {
    log.notice(
      `device auto: running on CPU, because the CUDA build could not be loaded: ${(e as Error).message}`,
    );
    return load(PLANS.cpu, gpu.detail);
  }
}

export async function openModel(runtime: Runtime, file: string, options: OpenOptions): Promise<OpenedModel> {
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) {
    throw new InputError(`${options.input} '${file}' ${st ? 'is not a file' : 'does not exist'}`, {
      where: { path: options.input },
      fix: 'Give the path of an .onnx file, relative to the working directory.',
    });
  }
  const started = performance.now();
  try {
    const session = await runtime.ort.InferenceSession.create(file, {
      executionProviders: runtime.plan.providers,
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      ...(options.threads && { intraOpNumThreads: options.threads, interOpNumThreads: 1 }),
      ...(options.spin === false && {
        extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
      }),
    });
    return { session, file, bytes: st.size, loadMs: performance.now() - started };
  } catch (e) {
    throw loadError(e as Error, file, st.size, options.input, runtime.plan);
  }
}

function loadError(e: Error, file: string, bytes: number, input: string, plan: DevicePlan): InputError {
  // onnxruntime prefixes its messages with a source path and a C++ signature; the user needs the end.
  const first =
    e.message
      .replace(/^.*?failed:\s*/i, '')
      .split('\n')[0]
      ?.trim() ?? e.message;
  const detail = first.replace(/^\S*onnxruntime_src\S*\s.*?(?:was false\.\s|\)\s)(?=[A-Z])/, '');
  if (/protobuf|invalid model|ModelProto|model_path|Failed to load model/i.test(e.message)) {
    return new InputError(`${input} '${file}' (${bytes} bytes) is not a valid ONNX model: ${detail}`, {
      where: { path: input },
      fix: 'Check that the file is complete (not a Git LFS pointer or a partial download) and was exported to ONNX.',
    });
  }
  if (plan.device !== 'cpu') {
    return new InputError(`${input} '${file}' could not be loaded on ${plan.device}: ${detail}`, {
      where: { path: 'device' },
      fix:
        plan.device === 'webgpu'
          ? 'WebGPU needs a Vulkan driver and loader on the runner; use cpu or cuda otherwise.'
          : 'The CUDA provider needs the CUDA 12 runtime and cuDNN 9 libraries on the runner (e.g. an nvidia/cuda:12.*-cudnn-runtime image).',
    });
  }
  return new InputError(`${input} '${file}' could not be loaded by onnxruntime: ${detail}`, {
    where: { path: input },
    fix: 'Check the model with onnx.checker and that its opset is supported by onnxruntime 1.30.',
  });
}
