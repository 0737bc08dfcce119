/** Evidence: instances heartbeating through the library (`startHeartbeat`), live while their last beat is younger than the TTL. */
import { who, type EvidenceSource } from '../evidence.js';

export const instancesSource: EvidenceSource = {
  name: 'instances',
  async gather(ctx) {
    const instances = (await ctx.store.instances(ctx.session)).filter((i) => i.ageMs < ctx.options.instanceTtlMs);
    const live = instances.map((i) => ({
      kind: 'instance' as const,
      app: i.app,
      version: i.version,
      env: i.env || null,
      level: i.level,
      ...(i.buildLevel !== undefined ? { buildLevel: i.buildLevel } : {}),
      levelSetAt: i.startedAt,
      describe: (level: string) => `instance ${who(i.app, i.version, i.env)}${i.host ? ` on ${i.host}` : ''}${i.pid ? ` pid ${i.pid}` : ''} is live at ${level} (last heartbeat ${Math.round(i.ageMs / 1000)}s ago)`,
    }));
    const listed = instances.map(({ ageMs, startedAt: _, ...i }) => ({ ...i, lastBeatSecondsAgo: Math.round(ageMs / 1000) }));
    return { live, listed };
  },
};
