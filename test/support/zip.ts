/**
 * Real zip files for tests, written by Debian's Python zipfile module (not by our own reader's
 * idea of the format): the artifacts the forge fakes hand out, and the reader's own cases.
 */
import { execFileSync } from 'node:child_process';

export interface ZipInput {
  name: string;
  data: Buffer | string;
  /** Deflate (the default, as actions/upload-artifact does) or store. */
  stored?: boolean;
}

const SCRIPT = `
import base64, json, sys, zipfile, io
spec = json.load(sys.stdin)
out = io.BytesIO()
with zipfile.ZipFile(out, 'w') as z:
    for f in spec['files']:
        info = zipfile.ZipInfo(f['name'], date_time=(2024, 5, 2, 9, 14, 6))
        info.compress_type = zipfile.ZIP_STORED if f['stored'] else zipfile.ZIP_DEFLATED
        with z.open(info, 'w', force_zip64=spec['zip64']) as w:
            w.write(base64.b64decode(f['data']))
    for i in range(spec['padding']):
        z.writestr('pad/%06d' % i, b'')
    z.comment = spec['comment'].encode()
sys.stdout.write(base64.b64encode(out.getvalue()).decode())
`;

export interface ZipOptions {
  /** ZIP64 local headers. */
  zip64?: boolean;
  /** Empty entries added after the files: 65,536 and more make Python write ZIP64 end records. */
  padding?: number;
  comment?: string;
}

export function zipOf(files: ZipInput[], options: ZipOptions = {}): Buffer {
  const spec = {
    files: files.map((f) => ({
      name: f.name,
      stored: f.stored ?? false,
      data: Buffer.from(f.data).toString('base64'),
    })),
    zip64: options.zip64 ?? false,
    padding: options.padding ?? 0,
    comment: options.comment ?? '',
  };
  const out = execFileSync('/usr/bin/python3', ['-c', SCRIPT], {
    input: JSON.stringify(spec),
    maxBuffer: 512 * 1024 * 1024,
    encoding: 'utf8',
  });
  return Buffer.from(out, 'base64');
}
