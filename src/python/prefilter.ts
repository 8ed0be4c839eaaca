// The switch that turns every prefilter and gate off: `SPAWNSAFE_NO_PREFILTER=1`.
//
// A prefilter skips work that cannot change the answer: files that name nothing the analysis
// looks for, places in a file the tree need not be asked about. Each must be a superset of
// what the full analysis finds. With the switch, every file of a run is parsed and analysed
// and every candidate is looked up in the tree; test/prefilter.slow.test.ts runs the fixtures
// and the standard library both ways and requires the same findings and fixes. A new
// prefilter is proven the same way.

/** False when the switch is on: every prefilter and gate then lets everything through. */
export const PREFILTERS = process.env.SPAWNSAFE_NO_PREFILTER !== "1";
