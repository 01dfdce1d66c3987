import pg from 'pg';
import { IN_MEMORY } from '../config/app-config.js';
import { EmbeddedPostgres } from './embedded-postgres.js';

describe('EmbeddedPostgres: one session shared by every connection', () => {
  let server: EmbeddedPostgres;
  const clients: pg.Client[] = [];
  const connect = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: server.url });
    client.on('error', () => undefined); // the closed connection's
    await client.connect();
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    server = await EmbeddedPostgres.start(IN_MEMORY, 10, 300);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await server.stop();
  });

  it('closes a transaction that keeps the others waiting without a statement, and rolls it back', async () => {
    const idle = await connect();
    const other = await connect();
    await idle.query('BEGIN');
    await idle.query('CREATE TABLE abandoned (x int)');
    // waits for the transaction, which sends nothing more: then it is closed and `other` goes on
    expect((await other.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await expect(idle.query('SELECT 1')).rejects.toThrow();
    await expect(other.query('SELECT * FROM abandoned')).rejects.toThrow(/does not exist/);
  });

  it('leaves a transaction alone while it keeps sending, however long the others wait', async () => {
    const busy = await connect();
    const other = await connect();
    await busy.query('BEGIN');
    await busy.query('CREATE TABLE kept (x int)');
    const waiting = other.query('SELECT count(*)::int AS n FROM kept');
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 100)); // 600 ms in all, each gap under the 300 ms
      await busy.query('INSERT INTO kept VALUES ($1)', [i]);
    }
    await busy.query('COMMIT');
    expect((await waiting).rows).toEqual([{ n: 6 }]);
  });
});
