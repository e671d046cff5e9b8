/** The human summary: the image by digest first, then what is in it and what was sent. */
import { formatBytes } from '../../format/bytes.ts';
import type { Summary } from '../../report/summary.ts';

interface Facts {
  image: string;
  digest: string;
  tags: string[];
  runtime: string;
  platform: string;
  base: { name: string; digest: string } | null;
  model: { file: string; digest: string };
  layers: { mediaType: string; digest: string; size: number }[];
  annotations: Record<string, string>;
  uploaded_bytes: number;
  pushed: boolean;
}

export function buildSummary(f: Facts): Summary {
  const sent = f.pushed ? `, ${formatBytes(f.uploaded_bytes)} uploaded` : ', written as an OCI layout';
  return {
    title: 'modelship build-image',
    passed: true,
    headline: `${f.image} (${f.runtime}, ${f.platform})${sent}`,
    blocks: [
      {
        kind: 'table',
        columns: ['', ''],
        rows: [
          ['tags', f.tags.join(', ')],
          ['model', `${f.model.file} (${f.model.digest})`],
          ['base', f.base ? `${f.base.name} (${f.base.digest})` : '—'],
          ['layers', `${f.layers.length}, ${formatBytes(f.layers.reduce((a, l) => a + l.size, 0))}`],
        ],
      },
      {
        kind: 'details',
        title: 'Annotations',
        blocks: [
          {
            kind: 'table',
            columns: ['annotation', 'value'],
            rows: Object.entries(f.annotations).map(([k, v]) => [k, v]),
          },
        ],
      },
    ],
  };
}
