// Each test starts a backend on SQLite or PostgreSQL; on a loaded machine that can take longer
// than Jest's default 5 s.
jest.setTimeout(30_000);
