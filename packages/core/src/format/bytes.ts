/**
 * Sizes for people: `790 B`, `12.3 KiB`, `4.1 MiB`, `1.2 GiB`. Binary units, as the registry
 * and the file system count them; one decimal place is enough to compare two pushes by eye.
 */
const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return `${bytes} B`;
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  if (value < 1024) return `${sign}${Math.round(value)} B`;
  let unit = 0;
  value /= 1024;
  // Step up while rounding would print 1024.0 of a unit.
  while (value >= 1023.95 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${sign}${value.toFixed(1)} ${UNITS[unit]}`;
}

/** A transfer rate, e.g. `38.2 MiB/s`. */
export const formatRate = (bytesPerSecond: number): string => `${formatBytes(bytesPerSecond)}/s`;
