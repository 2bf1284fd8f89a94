"""The summary's rollup: per-case facts, per-day sums of them, kept exact.

`/case summary 30d` over half a million cases must answer in under a second, which no
scan of the window does. So every figure that is a sum over the cases (or holds) of a
window is kept per UTC day (`summary_daily`, `summary_ola_daily`, `summary_causes`) and
every median and p90 as a per-day histogram of coarse buckets (`summary_hist`), each
the sum of one row per case (`case_facts`, `hold_facts`) as the last refresh saw it.

Exactness does not wait for the refresh. Triggers on `cases`, `sla_clocks` and `holds`
mark a changed case stale (`summary_stale`) in the writer's own transaction, whatever
code made the change; a read takes whole days from the rollup and the partial days at
the window's ends from the stored facts, and swaps the stale cases' stored facts for
their live ones (`storage.rollup.read`). The worker's refresh (`storage.rollup.refresh`) folds stale
cases back in, so the live part stays small. What depends on the time of asking
(a first response or a resolution past its deadline, still unanswered) is never rolled
up: it is counted live through partial indexes over what is still running.
"""
