"""`journeys simulate`: realistic contact-center traffic as OpenTelemetry traces, with ground truth.

See docs/simulator.md. The package imports no Dagster.
"""

from orchestration.simulate.scenario import DEMO_SCENARIO, Friction, FrictionKind, Scenario, StageBehaviour
from orchestration.simulate.simulator import SimulationResult, simulate
from orchestration.simulate.truth import ConversationTruth, CsatTruth, GroundTruth, JourneyTruth

__all__ = [
    "DEMO_SCENARIO",
    "ConversationTruth",
    "CsatTruth",
    "Friction",
    "FrictionKind",
    "GroundTruth",
    "JourneyTruth",
    "Scenario",
    "SimulationResult",
    "StageBehaviour",
    "simulate",
]
