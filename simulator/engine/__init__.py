"""The engine: pure Python, standard library only. Import from here."""

from simulator.engine.conditions import Condition, ConditionError
from simulator.engine.model import (
    Branch,
    Choice,
    Effect,
    Ending,
    Group,
    Line,
    Member,
    Meter,
    Pos,
    Scenario,
    ScenarioTest,
    State,
)
from simulator.engine.session import Session, SessionError, Step

__all__ = [
    "Branch",
    "Choice",
    "Condition",
    "ConditionError",
    "Effect",
    "Ending",
    "Group",
    "Line",
    "Member",
    "Meter",
    "Pos",
    "Scenario",
    "ScenarioTest",
    "Session",
    "SessionError",
    "State",
    "Step",
]
