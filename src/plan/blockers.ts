/** Another session that holds a lock xc waits for (found by the dialect; shown in events and exit-5 errors). */
export interface Blocker {
  session: number;
  user: string | null;
  application: string | null;
  state: string | null;
  /** Start of its transaction, ISO text. */
  since: string | null;
  query: string | null;
}
