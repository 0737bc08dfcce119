/** Texts of the gate's blockers that the CLI also prints apart (a leaf module: the CLI loads it without the gate). */

/** What to do about a `no_deployment` blocker: `xc status` says it once below its table, not on every row. */
export const RECORD_HINT = 'run `xc deploy record --app A --version V` once the new version is out';

export const noDeploymentText = (migrationId: string) => `no live deployment at or above ${migrationId} has been recorded`;
