"""Statistics for the hall manager (every figure is defined in docs/kpis.md; the arithmetic is in
domain/kpis.py, domain/duty_time.py and domain/league.py):

- periods.py   ranges and quarters from the query string, hall-local days in UTC
- days.py      a day's summary read from the tables
- rollups.py   closed days stored in `stats_daily` and read back; the nightly roll-up job
- ranges.py    all figures of a hall over a range (GET …/stats), promised and review-case states
- league.py    the league table (擂台)
- live.py      the live hall with alerts (hall_alerts.py: alerts from the hall's own rules)
- overview.py  several halls side by side
"""
from ...domain.kpis import median, percentile
from .days import compute_day
from .league import league, league_from
from .live import live
from .overview import overview
from .periods import after_day_sql, local_day, parse_day, parse_quarter, parse_range, quarter_of
from .ranges import compute, hall_stats, promised_state, review_rows, review_state, staff_names
from .rollups import VERSION, daily_rollup, day_summaries, rollup

__all__ = ["VERSION", "after_day_sql", "compute", "compute_day", "daily_rollup", "day_summaries",
           "hall_stats", "league", "league_from", "live", "local_day", "median", "overview",
           "parse_day", "parse_quarter", "parse_range", "percentile", "promised_state", "quarter_of",
           "review_rows", "review_state", "rollup", "staff_names"]
