/**
 * Words MySQL/MariaDB read otherwise than as a column's name where they stand bare in an expression.
 *
 * MARIADB was read off MariaDB 10.11: each word of information_schema.KEYWORDS (and the niladic functions) written
 * bare where a column of its name was meant — `SELECT w FROM (SELECT 7 AS \`w\`) t` — that did not give the column:
 * a syntax error (`order`), or another value (`current_date`, `true`: a check over a column of that name written bare
 * compares the function instead — campaign EK, every write refused).
 */
const MARIADB = words(`
  accessible add all alter analyze and as asc asensitive before between bigint binary blob both by call cascade case
  change char character check collate column condition constraint continue convert create cross current_date
  current_role current_time current_timestamp current_user cursor databases day_hour day_microsecond day_minute
  day_second dec decimal declare default delayed delete delete_domain_id desc describe deterministic distinct
  distinctrow div do_domain_ids double drop dual each else elseif enclosed escaped except exists exit explain false
  fetch float float4 float8 for force foreign from fulltext grant group having high_priority hour_microsecond
  hour_minute hour_second if ignore ignore_domain_ids in index infile inner inout insensitive insert int int1 int2
  int3 int4 int8 integer intersect interval into is iterate join key keys kill leading leave left like limit linear
  lines load localtime localtimestamp lock long longblob longtext loop low_priority master_demote_to_replica
  master_demote_to_slave master_ssl_verify_server_cert match maxvalue mediumblob mediumint mediumtext middleint
  minute_microsecond minute_second mod modifies natural no_write_to_binlog not null numeric offset on optimize
  optionally or order out outer outfile over page_checksum parse_vcol_expr partition portion precision primary
  procedure purge range read read_write reads real recursive ref_system_id references regexp release rename repeat
  replace require resignal restrict return returning revoke right rlike row_number rows schemas second_microsecond
  select sensitive separator set show signal smallint spatial specific sql sql_big_result sql_buffer_result sql_cache
  sql_calc_found_rows sql_no_cache sql_small_result sqlexception sqlstate sqlwarning ssl starting stats_auto_recalc
  stats_persistent stats_sample_pages straight_join table terminated then tinyblob tinyint tinytext to trailing
  trigger true undo union unique unlock unsigned update usage use using utc_date utc_time utc_timestamp values
  varbinary varchar varcharacter varying when where while with write xor year_month zerofill
`);

/** MySQL 8's reserved words MariaDB takes as names (`rank`, `row`), and the Oracle mode's `sysdate`, `rownum`. */
const ELSEWHERE = words(`
  cube cume_dist dense_rank empty first_value function generated get grouping groups io_after_gtids io_before_gtids
  json_table lag last_value lateral lead manual master_bind nth_value ntile of optimizer_costs parallel percent_rank
  qualify rank row rownum stored sysdate system virtual window
`);

/** MariaDB's reserved words that MySQL 8 takes as names (`offset`, `returning`). */
const MARIADB_ONLY = words(`
  current_role delete_domain_id do_domain_ids ignore_domain_ids master_demote_to_replica master_demote_to_slave offset
  page_checksum parse_vcol_expr portion ref_system_id returning stats_auto_recalc stats_persistent stats_sample_pages
`);

function words(text: string): ReadonlySet<string> {
  return new Set(text.trim().split(/\s+/));
}

/** Kept backticked where xc writes a name back (catalog text): one word too many only keeps a name quoted. */
export const MUST_STAY_QUOTED: ReadonlySet<string> = new Set([...MARIADB, ...ELSEWHERE]);

/**
 * Never a column where it stands bare (and unqualified) on either server: a bare `current_date` is the function, a
 * bare `DESC` after an index key the order — not the columns named so (campaign EL: the trigger read the column
 * where the backfill called the function; a rename of `desc` copied every DESC index). Here one word too many would
 * miss a column, so only what both servers reserve.
 */
export const NEVER_A_BARE_COLUMN: ReadonlySet<string> = new Set([...MARIADB].filter((w) => !MARIADB_ONLY.has(w)));
