/**
 * Everything build-image can refuse before it resolves a base or reads a layer: the name and its
 * tags, attest, the platform, the output directory, and the model. A model that `serve` or
 * `triton` would run is opened by onnxruntime here, so a file that is not ONNX (empty, cut short,
 * a Git LFS pointer) is refused in one line before anything is downloaded or pushed.
 */
import { stat } from 'node:fs/promises';
import { InputError } from '../../errors.ts';
import type { Credentials } from '../../oci/auth.ts';
import { parsePlatform } from '../../oci/image.ts';
import { checkLayoutOutput } from '../../oci/layout-output.ts';
import { isValidTag, parseReference, type Reference } from '../../oci/reference.ts';
import type { ImagePlatform } from '../../oci/types.ts';
import { openModel, openRuntime } from '../../onnx/session.ts';
import { type Signature, signatureOf } from '../../onnx/signature.ts';
import type { Logger, Platform } from '../../platform/port.ts';
import type { BuildImageInputs } from './spec.ts';

/** What the inputs mean once checked. */
export interface Plan {
  /** The repository the image is named for (no tag). */
  ref: Reference;
  /** The model's name: the repository's last component. */
  name: string;
  /** The OS/architecture to build for. */
  target: ImagePlatform;
  credentials: Credentials | undefined;
  /** The model's inputs and outputs, for the runtimes that run it. */
  signature: Signature | undefined;
}

export async function checkInputs(inputs: BuildImageInputs, platform: Platform): Promise<Plan> {
  const ref = checkName(inputs.name);
  checkTags(inputs.tags);
  checkAttest(inputs, platform);
  const target = parsePlatform(inputs.platform);
  if (!inputs.push) await checkLayoutOutput(inputs.output, platform.describeInput('output'));
  const signature = await checkModel(inputs.model, inputs.runtime, platform);
  const credentials =
    inputs['registry-username'] && inputs['registry-password']
      ? { username: inputs['registry-username'], password: inputs['registry-password'] }
      : undefined;
  return { ref, name: ref.repository.split('/').pop()!, target, credentials, signature };
}

function checkName(name: string): Reference {
  const ref = parseReference(name, 'name');
  if (ref.tag || ref.digest) {
    throw new InputError(`name '${name}' carries a ${ref.digest ? 'digest' : 'tag'}`, {
      where: { path: 'name' },
      fix: `Give the repository alone (${ref.registry}/${ref.repository}) and the tags in 'tags'.`,
    });
  }
  return ref;
}

function checkTags(tags: readonly string[]): void {
  if (tags.length === 0) {
    throw new InputError('tags names no tag', {
      where: { path: 'tags' },
      fix: 'Give at least one tag, e.g. latest.',
    });
  }
  tags.forEach((t, i) => {
    if (!isValidTag(t)) {
      throw new InputError(`tag '${t}' is not a valid tag`, {
        where: { path: `tags[${i}]` },
        fix: 'A tag is up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`.',
      });
    }
  });
}

function checkAttest(inputs: BuildImageInputs, platform: Platform): void {
  if (!inputs.attest) return;
  if (!inputs.push) {
    throw new InputError('attest needs a pushed image', {
      where: { path: 'attest' },
      fix: 'Set push: true.',
    });
  }
  if (!platform.attestProvenance) {
    throw new InputError(`attest works on GitHub Actions only, not on ${platform.name}`, {
      where: { path: 'attest' },
      fix: 'Leave attest off here; on GitLab, sign the digest with cosign in a later job.',
    });
  }
}

/**
 * `serve` and `triton` run the model, so it must load in onnxruntime: the same check for both,
 * whose signature Triton's config is then written from. An artifact may be any file.
 */
async function checkModel(
  model: string,
  runtime: BuildImageInputs['runtime'],
  log: Logger,
): Promise<Signature | undefined> {
  if (runtime === 'artifact') {
    const st = await stat(model).catch(() => undefined);
    if (st?.isFile()) return undefined;
    throw new InputError(`model '${model}' ${st ? 'is not a file' : 'does not exist'}`, {
      where: { path: 'model' },
      fix: 'Give the path of the model file, relative to the working directory.',
    });
  }
  const opened = await openModel(await openRuntime('cpu', log), model, { input: 'model' });
  try {
    return signatureOf(opened.session);
  } finally {
    await opened.session.release();
  }
}
