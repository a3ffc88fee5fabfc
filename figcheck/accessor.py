"""The ``df.figcheck`` accessor on a claims frame: the API's functions, by delegation only.

>>> import figcheck
>>> claims = figcheck.extract_text(
...     "Officials said 10,000 North Korean soldiers were in Russia. "
...     "Budanov said about 12,000 North Korean soldiers were there.", "2024-10-22")
>>> claims.figcheck.quantities()[["quantity", "claims", "discrepancies"]].to_dict("records")
[{'quantity': 'north korean soldiers', 'claims': 2, 'discrepancies': 1}]
"""
from __future__ import annotations

import pandas as pd

from figcheck import api
from figcheck.config import Config


@pd.api.extensions.register_dataframe_accessor("figcheck")
class FigcheckAccessor:
    """``claims.figcheck.<name>(...)`` is ``figcheck.<name>(claims, ...)``."""

    def __init__(self, frame: pd.DataFrame):
        self._frame = frame

    def assign_quantities(self, *, config: Config | None = None) -> pd.DataFrame:
        """:func:`figcheck.assign_quantities`: the claims with their quantity keys derived."""
        return api.assign_quantities(self._frame, config=config)

    def quantities(self, *, config: Config | None = None) -> pd.DataFrame:
        """:func:`figcheck.quantities`: one summary row per quantity."""
        return api.quantities(self._frame, config=config)

    def discrepancies(self, *, config: Config | None = None) -> pd.DataFrame:
        """:func:`figcheck.discrepancies`: the pairs of claims that disagree."""
        return api.discrepancies(self._frame, config=config)

    def timeline(self, quantity: str, *, config: Config | None = None) -> pd.DataFrame:
        """The claims of one quantity in date order (:func:`figcheck.report.timeline`)."""
        from figcheck import report  # (not imported with figcheck: the CI check has no use for it)

        return report.timeline(self._frame, quantity, config=config)

    def report(self, *, config: Config | None = None) -> str:
        """:func:`figcheck.render_report`: the markdown report."""
        return api.render_report(self._frame, config=config)
