import type { Db } from 'pg-boss';
import type { EntityManager, QueryRunner } from 'typeorm';

/**
 * The query runner of the caller's open transaction: a job sent through it is written by the
 * same connection, so it commits or rolls back with the write that caused it. Refuses a manager
 * that is not inside a transaction, where the job would commit on its own.
 */
export function inTransaction(manager: EntityManager): QueryRunner {
  const runner = manager.queryRunner;
  if (!runner?.isTransactionActive) {
    throw new Error('A job is enqueued inside the transaction of the write that causes it');
  }
  return runner;
}

/** pg-boss's view of a query runner (its statements run in that runner's transaction). */
export function bossDb(runner: QueryRunner): Db {
  return {
    async executeSql(text: string, values?: unknown[]) {
      // structured: TypeORM otherwise returns [rows, count] for UPDATE and DELETE
      const result = await runner.query(text, values, true);
      return { rows: result.records as unknown[] };
    },
  };
}
