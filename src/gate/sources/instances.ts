/**
 * Evidence: instances heartbeating through the library (`startHeartbeat`), live while their last beat is younger than
 * their TTL. Each beats for its own xc's TTL (stored with it: an application's xc may have a longer --instance-ttl, and
 * so beat less often, than the pipeline's), and the reader has its own: the longer of the two is the one judged by
 * (fail closed — never shorter than either). A row an older xc wrote has none: the reader's.
 */
import { who, type EvidenceSource } from '../evidence.js';

/** How long after its last beat an instance still counts as live, for a reader whose TTL is `readerTtlMs`. */
export const instanceTtl = (ownTtlMs: number | null, readerTtlMs: number): number => Math.max(ownTtlMs ?? readerTtlMs, readerTtlMs);

export const instancesSource: EvidenceSource = {
  name: 'instances',
  async gather(ctx) {
    const instances = (await ctx.store.instances(ctx.session)).filter((i) => i.ageMs < instanceTtl(i.ttlMs, ctx.options.instanceTtlMs));
    const live = instances.map((i) => ({
      kind: 'instance' as const,
      app: i.app,
      version: i.version,
      env: i.env || null,
      level: i.level,
      ...(i.buildLevel !== undefined ? { buildLevel: i.buildLevel } : {}),
      levelSetAt: i.startedAt,
      describe: (level: string) =>
        `instance ${who(i.app, i.version, i.env)}${i.host ? ` on ${i.host}` : ''}${i.pid ? ` pid ${i.pid}` : ''} is live at ${level} (last heartbeat ${Math.round(i.ageMs / 1000)}s ago` +
        `${i.ttlMs !== null && i.ttlMs > ctx.options.instanceTtlMs ? `; it beats for a TTL of ${seconds(i.ttlMs)}` : ''})`,
    }));
    const listed = instances.map(({ ageMs, startedAt: _, ...i }) => ({ ...i, lastBeatSecondsAgo: Math.round(ageMs / 1000) }));
    return { live, listed };
  },
};

const seconds = (ms: number) => `${Math.round(ms / 100) / 10}s`;
