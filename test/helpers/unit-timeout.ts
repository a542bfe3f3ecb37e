// The unit tier's property tests run thousands of cases: well under jest's 5 s alone, not
// always on two cores shared with the other suites. A liveness bound, not a timing goal.
jest.setTimeout(30_000);
