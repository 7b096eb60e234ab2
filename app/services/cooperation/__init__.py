"""Cooperation work (Kooperation, R-6.3): figures for the quarterly report and annual evaluation."""

from app.services.cooperation.figures import (
    COOPERATION_FIGURE_LABELS,
    cooperation_figures,
    cooperation_figures_period,
)

__all__ = ["COOPERATION_FIGURE_LABELS", "cooperation_figures", "cooperation_figures_period"]
