"""The site: one self-contained HTML page per family, the leaderboard, a page per variant, per
run's samples and per pair of runs, written from the run store."""
