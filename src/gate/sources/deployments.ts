/** Evidence: the deployments the pipeline recorded (`xc deploy record`), live until retired. */
import { who, type EvidenceSource } from '../evidence.js';

export const deploymentsSource: EvidenceSource = {
  name: 'deployments',
  async gather(ctx) {
    const recorded = await ctx.recorded();
    const live = recorded
      .filter((d) => d.retiredAt === null)
      .map((d) => ({
        kind: 'deployment' as const,
        app: d.app,
        version: d.version,
        env: d.env || null,
        level: d.level,
        ...(d.buildLevel !== undefined ? { buildLevel: d.buildLevel } : {}),
        since: d.recordedAt,
        levelSetAt: d.recordedAt,
        provesRollout: true,
        describe: (level: string) => `deployment ${who(d.app, d.version, d.env)} is live at ${level}${d.actor ? ` (recorded by ${d.actor})` : ''}`,
      }));
    return { live, listed: recorded };
  },
};
