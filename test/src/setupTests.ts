// Integration tests boot brokers and wait for them. Jest's `testTimeout` in
// package.json is a global option that `backstage-cli repo test` (Jest
// projects) does not pass on, so the bound is set here for both ways of
// running.
jest.setTimeout(120_000);
