/** Health readings in words, for the progress line, `xc status` and errors (loaded by the CLI's output: imports nothing heavy). */
import { formatBytes } from '../../options.js';
import type { HealthReading } from './signal.js';

/**
 * `wal_rate 3.2MB/s over the limit 1MB/s; load 12 sessions over the limit 4 sessions`. A reading that holds though
 * its value is within the limit — a replica not applying changes, or not read — says so: its source names why
 * (campaign AG-3: "0ms over the limit 5s").
 */
export function describeReadings(readings: Pick<HealthReading, 'signal' | 'source' | 'value' | 'limit' | 'unit'>[]): string {
  return readings
    .map((r) => {
      const what = `${r.signal}${r.source !== undefined ? ` (${r.source})` : ''}`;
      return r.value > r.limit ? `${what} ${shown(r.value, r.unit)} over the limit ${shown(r.limit, r.unit)}` : `${what} held for that reason, not for a value over the limit ${shown(r.limit, r.unit)}`;
    })
    .join('; ');
}

/** A value with its unit: a rate of bytes and a duration in their largest unit. */
export function shown(value: number, unit: string): string {
  if (unit === 'bytes/s') return `${formatBytes(value)}/s`;
  if (unit === 'ms') return value >= 1000 ? `${Math.round(value / 100) / 10}s` : `${value}ms`;
  return `${value} ${unit}`;
}
