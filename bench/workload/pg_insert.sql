-- pgbench script of bench/workload.ts (weight 10 of 100): one INSERT of a new row (value 1) per transaction.
-- wl_control says which share of transactions run the new version (new_pct, 0..100) and when the
-- run is over (stop = 1: wl_end() raises 'workload over', which ends this client without a statement on the table).
\set id random(1, :rows)
\set r random(1, 100)
SELECT new_pct, stop FROM wl_control \gset
\if :stop = 1
SELECT wl_end();
\elif :r <= :new_pct
INSERT INTO wl_accounts (id, amount_big, pad) VALUES (nextval('wl_accounts_ins'), 1, 'workload');
\else
INSERT INTO wl_accounts (id, amount, pad) VALUES (nextval('wl_accounts_ins'), 1, 'workload');
\endif
