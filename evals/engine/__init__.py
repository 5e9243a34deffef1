"""One evaluation run: the runner, single-turn use cases through lm-eval, multi-turn dialogues and
their judge, trivial baselines, and a run served warm from a stored one."""
