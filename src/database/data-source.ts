import {
  DataSource,
  type DataSourceOptions,
  type QueryRunner,
  type ReplicationMode,
} from 'typeorm';
import { InitialSchema1795740000000 } from '../../migrations/1795740000000-InitialSchema.js';
import { ReferenceData1795740000001 } from '../../migrations/1795740000001-ReferenceData.js';
import { OwnershipAndModeration1795740000002 } from '../../migrations/1795740000002-OwnershipAndModeration.js';
import { RetireReferenceDataAndUploadQuota1795740000004 } from '../../migrations/1795740000004-RetireReferenceDataAndUploadQuota.js';
import { SentNotices1795740000006 } from '../../migrations/1795740000006-SentNotices.js';
import { AccountTokens1795740000007 } from '../../migrations/1795740000007-AccountTokens.js';
import { JobLifecycle1795740000008 } from '../../migrations/1795740000008-JobLifecycle.js';
import { SavedSearches1795740000009 } from '../../migrations/1795740000009-SavedSearches.js';
import { DataExports1795740000010 } from '../../migrations/1795740000010-DataExports.js';
import { QueueOutbox1795740000011 } from '../../migrations/1795740000011-QueueOutbox.js';
import type { DatabaseConfig } from '../config/app-config.js';
import { EmbeddedPostgres, IDLE_IN_TRANSACTION_MS } from './embedded-postgres.js';
import { ENTITIES } from './entities.js';
import { runMigrations } from './migrator.js';
import { readScope, ReadReplicas, REPLICA_CONNECT_TIMEOUT_MS } from './read-replicas.js';
import { TypeOrmPinoLogger } from './typeorm-logger.js';

export const MIGRATIONS = [
  InitialSchema1795740000000,
  ReferenceData1795740000001,
  OwnershipAndModeration1795740000002,
  RetireReferenceDataAndUploadQuota1795740000004,
  SentNotices1795740000006,
  AccountTokens1795740000007,
  JobLifecycle1795740000008,
  SavedSearches1795740000009,
  DataExports1795740000010,
  QueueOutbox1795740000011,
];

/** Idle connections above DB_POOL_SIZE are closed after this long (the seed's overflow). */
const OVERFLOW_IDLE_MS = 30_000;

/**
 * The one builder of TypeORM options, used by the app, the migration and seed commands and
 * the tests. Maps the seed's pool settings onto pg-pool:
 * DB_POOL_SIZE + DB_MAX_OVERFLOW → max, DB_POOL_SIZE → min (kept when idle),
 * DB_POOL_RECYCLE_SECONDS → maxLifetimeSeconds, DB_POOL_TIMEOUT_SECONDS → connectionTimeoutMillis
 * (covers both opening a connection and waiting for a free one).
 */
export function buildDataSourceOptions(db: DatabaseConfig, url: string): DataSourceOptions {
  const embedded = db.type === 'pglite' || undefined;
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    isolationLevel: 'READ COMMITTED',
    applicationName: 'spajobs',
    poolSize: db.poolSize + db.maxOverflow,
    connectTimeoutMS: db.poolTimeoutSeconds * 1000,
    logger: new TypeOrmPinoLogger(),
    logging: ['error', 'warn', 'migration'],
    maxQueryExecutionTime: 1000,
    extra: {
      min: db.poolSize,
      idleTimeoutMillis: OVERFLOW_IDLE_MS,
      maxLifetimeSeconds: db.recycleSeconds,
      // Dead connections are noticed while idle and dropped from the pool (the seed's pre-ping).
      keepAlive: true,
      ...(embedded
        ? {}
        : {
            statement_timeout: db.statementTimeoutMs,
            idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
          }),
    },
  };
}

/**
 * A replica's options: the primary's, with its own pool (DB_REPLICA_POOL_SIZE, nothing kept open
 * when idle), a short connection timeout (a replica that cannot give a connection at once is
 * skipped, the read goes to the primary) and nothing that writes (no extensions, no migrations).
 */
export function buildReplicaOptions(db: DatabaseConfig, url: string): DataSourceOptions {
  const primary = buildDataSourceOptions(db, url);
  return {
    ...primary,
    applicationName: 'spajobs-read',
    poolSize: db.replicaPoolSize,
    connectTimeoutMS: REPLICA_CONNECT_TIMEOUT_MS,
    installExtensions: false,
    migrations: [],
    logging: false,
    extra: { ...(primary.extra as Record<string, unknown>), min: 0 },
    // its failures are the router's to report (once per outage), not one warning per connection
    poolErrorHandler: () => undefined,
  } as DataSourceOptions;
}

/**
 * A DataSource that owns the embedded server it talks to (if any) and stops it after
 * its own connections are closed.
 *
 * Reads go to replicas by one hook: every query TypeORM runs (query builders, repositories,
 * `query()`, transactions) takes its connection from `createQueryRunner`, which inside
 * `ReadReplicas.route` (only cache fills open one: see CacheService) hands out the chosen
 * replica's connection, and everywhere else the primary's.
 */
export class AppDataSource extends DataSource {
  /** Set when DATABASE_REPLICA_URLS names replicas (the app only, never the CLI). */
  replicas?: ReadReplicas;

  constructor(
    options: DataSourceOptions,
    private readonly embeddedServer?: EmbeddedPostgres,
  ) {
    super(options);
  }

  override createQueryRunner(mode: ReplicationMode = 'master'): QueryRunner {
    const routed = readScope.getStore();
    return routed?.owner === this
      ? routed.dataSource.createQueryRunner(mode)
      : super.createQueryRunner(mode);
  }

  override async destroy(): Promise<void> {
    try {
      await this.replicas?.stop();
      if (this.isInitialized) await super.destroy();
    } finally {
      await this.embeddedServer?.stop();
    }
  }
}

export interface OpenOptions {
  /** Apply pending migrations (under the advisory lock) before returning. */
  migrate?: boolean;
  /** Log queries slower than 1 s (off for bulk jobs such as the load dataset). */
  logSlowQueries?: boolean;
  /** Connections the embedded server must accept (all workers' pools, when it serves a cluster). */
  embeddedMaxConnections?: number;
  /** Route public reads to DATABASE_REPLICA_URLS (the app; the CLI never reads replicas). */
  replicas?: boolean;
}

/** Starts the embedded server when configured, connects, and optionally migrates. */
export async function openDataSource(
  db: DatabaseConfig,
  opts: OpenOptions = {},
): Promise<AppDataSource> {
  let server: EmbeddedPostgres | undefined;
  let url = db.url;
  if (db.type === 'pglite' && !url) {
    server = await EmbeddedPostgres.start(
      db.dataDir,
      opts.embeddedMaxConnections ?? db.poolSize + db.maxOverflow + 10,
    );
    url = server.url;
  }
  if (!url) throw new Error('No database URL: set DATABASE_URL or DATABASE_TYPE=pglite');
  const options = buildDataSourceOptions(db, url);
  const dataSource = new AppDataSource(
    opts.logSlowQueries === false ? { ...options, maxQueryExecutionTime: undefined } : options,
    server,
  );
  try {
    await dataSource.initialize();
    if (opts.migrate) await runMigrations(dataSource, db.type === 'pglite');
    // PGlite runs no autovacuum: without statistics the planner ignores the listing indexes
    if (server) await dataSource.query('ANALYZE');
    if (opts.replicas && db.replicaUrls.length > 0) {
      dataSource.replicas = new ReadReplicas(
        dataSource,
        db.replicaUrls,
        (replicaUrl) => buildReplicaOptions(db, replicaUrl),
        db.replicaMaxLagMs,
      );
    }
    return dataSource;
  } catch (err) {
    await dataSource.destroy().catch(() => undefined);
    throw err;
  }
}
