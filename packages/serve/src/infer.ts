/**
 * POST …/infer: the body read and checked, the request queued on the executor, and answered
 * within the request timeout (504 after it, the queued work dropped).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJson } from './body.ts';
import type { ServeConfig } from './config.ts';
import type { Executor } from './executor.ts';
import type { ServedModel } from './model.ts';
import { encodeOutput, parseInferRequest } from './protocol.ts';
import { ProtocolError } from './protocol-error.ts';
import { send } from './respond.ts';

export async function infer(
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  model: ServedModel,
  executor: Executor,
  config: ServeConfig,
): Promise<number> {
  const body = await readJson(req, { maxBytes: config.maxBodyBytes, stallMs: config.bodyTimeoutMs });
  const outputs = model.outputs.map((o) => o.name);
  const request = parseInferRequest(body, model.inputs, outputs);
  const job = executor.submit(request);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      job.cancel();
      reject(new ProtocolError(504, `the request was not answered within ${config.timeoutMs} ms`));
    }, config.timeoutMs);
  });
  const result = await Promise.race([job.done, timeout]).finally(() => clearTimeout(timer));
  return send(res, 200, {
    model_name: config.name,
    model_version: config.version,
    id: request.id ?? id,
    outputs: (request.outputs ?? outputs).map((n) => encodeOutput(n, result.outputs[n]!)),
  });
}
