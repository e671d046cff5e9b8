/**
 * Just enough of ZIP to take one file out of a CI artifact: the central directory (ZIP64 included,
 * since a model can pass 4 GiB), stored and deflated entries, each streamed from disk through
 * inflateRaw and checked against its size and CRC-32. GitHub and GitLab both hand artifacts over
 * as zips, and one reader here costs less than a dependency.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { crc32, createInflateRaw } from 'node:zlib';
import { writeFileAtomic } from '../../files/atomic.ts';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated; anything else is refused on extraction. */
  method: number;
  encrypted: boolean;
  compressedSize: number;
  size: number;
  crc: number;
  /** Where the entry's local header starts. */
  offset: number;
}

/** A file that is not a zip we can read: the forge sent something else, or it was cut short. */
export class ZipError extends Error {
  override name = 'ZipError';
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** The end record (22 bytes) plus the longest comment it may carry. */
const TAIL = 22 + 0xffff;

export async function listZip(file: string): Promise<ZipEntry[]> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const tailStart = Math.max(0, size - TAIL);
    const tail = await readAt(fh, tailStart, size - tailStart);
    const at = endRecord(tail);
    let count = tail.readUInt16LE(at + 10);
    let cdSize: number = tail.readUInt32LE(at + 12);
    let cdOffset: number = tail.readUInt32LE(at + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const z64 = await zip64End(fh, tailStart + at);
      ({ count, cdSize, cdOffset } = z64);
    }
    if (cdOffset + cdSize > size) throw new ZipError('the central directory lies past the end of the file');
    return centralDirectory(await readAt(fh, cdOffset, cdSize), count);
  } finally {
    await fh.close();
  }
}

/** Writes the entry's content to `dest` (atomically), failing if its size or CRC-32 is not what the zip says. */
export async function extractEntry(file: string, entry: ZipEntry, dest: string): Promise<void> {
  if (entry.encrypted) throw new ZipError(`${entry.name} is encrypted`);
  if (entry.method !== 0 && entry.method !== 8)
    throw new ZipError(
      `${entry.name} uses compression method ${entry.method}; only stored and deflate are read`,
    );
  const fh = await open(file, 'r');
  let start: number;
  try {
    const local = await readAt(fh, entry.offset, 30);
    if (local.readUInt32LE(0) !== LOCAL) throw new ZipError(`no local header for ${entry.name}`);
    start = entry.offset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  } finally {
    await fh.close();
  }
  await writeFileAtomic(dest, checked(content(file, start, entry), entry));
}

function content(file: string, start: number, entry: ZipEntry): AsyncIterable<Buffer> | Buffer[] {
  if (entry.compressedSize === 0) return [];
  const raw = createReadStream(file, { start, end: start + entry.compressedSize - 1 });
  if (entry.method === 0) return raw;
  const inflate = createInflateRaw();
  // pipe() does not pass a read error on; without this the reader would wait forever.
  raw.on('error', (e) => inflate.destroy(e));
  return raw.pipe(inflate);
}

async function* checked(chunks: AsyncIterable<Buffer> | Buffer[], entry: ZipEntry) {
  let crc = 0;
  let bytes = 0;
  for await (const chunk of chunks) {
    crc = crc32(chunk, crc);
    bytes += chunk.length;
    yield chunk;
  }
  if (bytes !== entry.size || crc >>> 0 !== entry.crc >>> 0)
    throw new ZipError(
      `${entry.name} is damaged: ${bytes} bytes with CRC ${hex(crc)}, expected ${entry.size} with ${hex(entry.crc)}`,
    );
}

const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

async function readAt(
  fh: Awaited<ReturnType<typeof open>>,
  position: number,
  length: number,
): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  if (bytesRead !== length) throw new ZipError('the file is shorter than its directory says');
  return buf;
}

/** The end-of-central-directory record is the last one in the file: search backwards past any comment. */
function endRecord(tail: Buffer): number {
  for (let i = tail.length - 22; i >= 0; i--) if (tail.readUInt32LE(i) === EOCD) return i;
  throw new ZipError('not a zip file (no end of central directory)');
}

async function zip64End(fh: Awaited<ReturnType<typeof open>>, eocdAt: number) {
  if (eocdAt < 20) throw new ZipError('a ZIP64 archive without its locator');
  const locator = await readAt(fh, eocdAt - 20, 20);
  if (locator.readUInt32LE(0) !== EOCD64_LOCATOR) throw new ZipError('a ZIP64 archive without its locator');
  const record = await readAt(fh, Number(locator.readBigUInt64LE(8)), 56);
  if (record.readUInt32LE(0) !== EOCD64) throw new ZipError('no ZIP64 end of central directory');
  return {
    count: Number(record.readBigUInt64LE(32)),
    cdSize: Number(record.readBigUInt64LE(40)),
    cdOffset: Number(record.readBigUInt64LE(48)),
  };
}

function centralDirectory(cd: Buffer, count: number): ZipEntry[] {
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL)
      throw new ZipError('a damaged central directory');
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    const entry: ZipEntry = {
      name: cd.toString('utf8', p + 46, p + 46 + nameLength),
      method: cd.readUInt16LE(p + 10),
      encrypted: (cd.readUInt16LE(p + 8) & 1) === 1,
      crc: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      offset: cd.readUInt32LE(p + 42),
    };
    widen(entry, cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength));
    entries.push(entry);
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** A field saturated at 0xffffffff has its real value in the ZIP64 extra field, in this order. */
function widen(entry: ZipEntry, extra: Buffer): void {
  for (let q = 0; q + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(q);
    const length = extra.readUInt16LE(q + 2);
    if (id === 0x0001) {
      let r = q + 4;
      for (const field of ['size', 'compressedSize', 'offset'] as const) {
        if (entry[field] !== 0xffffffff || r + 8 > q + 4 + length) continue;
        entry[field] = Number(extra.readBigUInt64LE(r));
        r += 8;
      }
    }
    q += 4 + length;
  }
}
