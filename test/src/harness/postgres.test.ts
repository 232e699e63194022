import { Client } from 'pg';
import { createTestDatabase, useTestDatabase } from '../postgres';

describe('test databases', () => {
  const database = useTestDatabase();

  it('is an empty database of its own that accepts tables and rows', async () => {
    const { connection, name } = database();
    expect(name).toMatch(/^brom_test_[0-9a-f]{12}$/);

    const client = new Client(connection);
    await client.connect();
    try {
      const { rows: current } = await client.query(
        'SELECT current_database() AS db',
      );
      expect(current[0].db).toBe(name);

      await client.query(
        'CREATE TABLE applications (name text PRIMARY KEY, generation integer NOT NULL)',
      );
      await client.query(
        'INSERT INTO applications (name, generation) VALUES ($1, 1), ($2, 3)',
        ['shop', 'billing'],
      );
      const { rows } = await client.query(
        'SELECT name, generation FROM applications ORDER BY name',
      );
      expect(rows).toEqual([
        { name: 'billing', generation: 3 },
        { name: 'shop', generation: 1 },
      ]);
    } finally {
      await client.end();
    }
  });

  it('works through the connection string and the Backstage config shape too', async () => {
    const { connectionString, backendDatabaseConfig, name } = database();
    expect(backendDatabaseConfig.client).toBe('pg');
    expect(backendDatabaseConfig.connection.database).toBe(name);

    const client = new Client({ connectionString });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT current_database() AS db');
      expect(rows[0].db).toBe(name);
    } finally {
      await client.end();
    }
  });

  it('drops a database even while a session is still connected', async () => {
    const other = await createTestDatabase();
    const lingering = new Client(other.connection);
    await lingering.connect();
    lingering.on('error', () => undefined);

    await other.drop();

    const check = new Client(database().connection);
    await check.connect();
    try {
      const { rows } = await check.query(
        'SELECT count(*)::int AS n FROM pg_database WHERE datname = $1',
        [other.name],
      );
      expect(rows[0].n).toBe(0);
    } finally {
      await check.end();
      await lingering.end().catch(() => undefined);
    }
  });
});
