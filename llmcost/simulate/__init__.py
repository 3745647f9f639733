"""What-if scenarios: levers that change calls, stacked and priced by the one pricing engine."""
