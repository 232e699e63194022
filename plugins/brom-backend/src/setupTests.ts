// The API suites start a backend per database and send dozens of requests per test; the
// validated router compiles each route's request and response schemas on its first use. On a
// loaded 2-core run such a test exceeded Jest's default 5 s. package.json's `testTimeout`
// only reaches `backstage-cli package test`; `backstage-cli repo test` (Jest projects, what
// `npm test` runs) ignores it, so the bound is set here for both.
jest.setTimeout(30_000);
