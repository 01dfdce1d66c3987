import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AuthUser } from '../common/auth-user.js';
import { AppError } from '../common/error-codes.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { selectRows } from '../database/sql.js';
import { QueueService } from '../queue/queue.service.js';
import { ExportDocuments } from './export-document.js';
import { EXPORT_READY_KIND, ExportReadyNotice } from './export-ready.notice.js';

export const PREPARE_EXPORT = 'privacy.prepare-export';
export const EXPORT_CLEANUP = 'privacy.export-cleanup';
/** Hourly, off the full hour when other schedules run. */
const CLEANUP_CRON = '41 * * * *';
/** What a client waiting for its export is told to wait between two asks. */
export const EXPORT_RETRY_AFTER_SECONDS = 5;
const DAY_MS = 86_400_000;

const gzipAsync = promisify(gzip);

interface PrepareJob {
  exportId: number;
}

interface ExportRow {
  id: number;
  status: 'pending' | 'ready';
  requestedAt: Date;
  readyAt: Date | null;
  expiresAt: Date;
}

/** What `GET /users/me/export` answers. */
export type ExportAnswer =
  | { kind: 'pending'; export: ExportRow }
  | { kind: 'ready'; export: ExportRow; document: Buffer }
  | { kind: 'limited'; retryAfterSeconds: number; limit: number };

const COLUMNS = `id, status, requested_at AS "requestedAt", ready_at AS "readyAt", expires_at AS "expiresAt"`;

/**
 * Data exports: asked for and downloaded on one route, prepared by the queue. The row that
 * records the request and the job that prepares it are written in one transaction; the job
 * stores the document (gzipped JSON) in the row and mails its owner. One export per account
 * is in preparation at a time (uq_data_exports_pending), at most DATA_EXPORT_DAILY_LIMIT are
 * prepared per account in any 24 hours, and each is deleted DATA_EXPORT_TTL_HOURS after it
 * was prepared (hourly cleanup).
 */
@Injectable()
export class DataExportsService implements OnModuleInit {
  private readonly logger = new Logger(DataExportsService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: QueueService,
    private readonly documents: ExportDocuments,
    private readonly notice: ExportReadyNotice,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.queue.register<PrepareJob>(PREPARE_EXPORT, (data, job) =>
      this.prepare(data.exportId, job.id, job.retryCount),
    );
    await this.queue.schedule(EXPORT_CLEANUP, CLEANUP_CRON, async () => {
      await this.cleanup();
    });
  }

  /**
   * The caller's current export: the ready one (unless `refresh`), else the one being
   * prepared, else a new one (recorded and enqueued in one transaction) while the day's
   * limit allows. A concurrent ask that loses the race for the pending slot gets that one.
   */
  async request(actor: AuthUser, refresh: boolean): Promise<ExportAnswer> {
    return this.dataSource.transaction(async (em): Promise<ExportAnswer> => {
      const [current] = await selectRows<ExportRow & { document: Buffer | null }>(
        em,
        `SELECT ${COLUMNS}, CASE WHEN $2 THEN NULL ELSE document END AS document
           FROM data_exports
          WHERE user_id = $1 AND status IN ('pending', 'ready') AND expires_at > now()
          ORDER BY (status = 'pending') DESC, id DESC LIMIT 1`,
        [actor.id, refresh],
      );
      if (current?.status === 'pending') return { kind: 'pending', export: current };
      if (current?.document) return { kind: 'ready', export: current, document: current.document };
      const limit = this.config.privacy.exportsPerDay;
      const [{ count, oldest }] = await selectRows<{ count: number; oldest: Date | null }>(
        em,
        `SELECT count(*)::int AS count, min(requested_at) AS oldest FROM data_exports
          WHERE user_id = $1 AND requested_at > now() - interval '24 hours'`,
        [actor.id],
      );
      if (count >= limit) {
        const wait = Math.ceil((oldest!.getTime() + DAY_MS - Date.now()) / 1000);
        return { kind: 'limited', retryAfterSeconds: Math.max(1, wait), limit };
      }
      const [created] = await selectRows<ExportRow>(
        em,
        `INSERT INTO data_exports (user_id, expires_at)
         VALUES ($1, now() + make_interval(hours => $2))
         ON CONFLICT (user_id) WHERE status = 'pending' DO NOTHING
         RETURNING ${COLUMNS}`,
        [actor.id, this.config.privacy.exportTtlHours],
      );
      if (!created) {
        // a concurrent ask took the pending slot first: that one is the answer
        const [pending] = await selectRows<ExportRow>(
          em,
          `SELECT ${COLUMNS} FROM data_exports WHERE user_id = $1 AND status = 'pending'`,
          [actor.id],
        );
        if (!pending) throw new AppError('CONFLICT', 'The export changed meanwhile; ask again');
        return { kind: 'pending', export: pending };
      }
      await this.queue.send(em, PREPARE_EXPORT, { exportId: created.id } satisfies PrepareJob);
      return { kind: 'pending', export: created };
    });
  }

  /**
   * Prepares one export, then announces it; idempotent: a retry after the document was
   * stored only (re)sends the mail, which sent_notices keeps to one. When the last attempt
   * fails, the pending row is removed so that the person can ask again.
   */
  private async prepare(exportId: number, queueJobId: string, attempt: number): Promise<void> {
    try {
      const [row] = await selectRows<{ userId: number; status: string }>(
        this.dataSource,
        `SELECT user_id AS "userId", status FROM data_exports WHERE id = $1`,
        [exportId],
      );
      if (!row) return; // expired, or the account was deleted meanwhile
      if (row.status === 'pending' && !(await this.store(exportId, row.userId))) return;
      await this.notice.deliver(exportId, queueJobId);
    } catch (err) {
      if (attempt >= this.config.queue.retryLimit) {
        await this.dataSource.query(
          `DELETE FROM data_exports WHERE id = $1 AND status = 'pending'`,
          [exportId],
        );
      }
      throw err;
    }
  }

  /** Builds and stores the document; false when the row went away meanwhile. */
  private async store(exportId: number, userId: number): Promise<boolean> {
    const document = await this.documents.build(userId, exportId);
    if (!document) return false;
    const json = Buffer.from(JSON.stringify(document));
    const gz = await gzipAsync(json, { level: 6 });
    return this.dataSource.transaction(async (em) => {
      const stored = await selectRows(
        em,
        `UPDATE data_exports
            SET status = 'ready', document = $2, document_bytes = $3, ready_at = now(),
                expires_at = now() + make_interval(hours => $4)
          WHERE id = $1 AND status = 'pending'
          RETURNING id`,
        [exportId, gz, json.length, this.config.privacy.exportTtlHours],
      );
      if (stored.length === 0) return false;
      await em.query(
        `UPDATE data_exports SET status = 'superseded', document = NULL
          WHERE user_id = $1 AND status = 'ready' AND id <> $2`,
        [userId, exportId],
      );
      return true;
    });
  }

  /** Deletes every export past its time, with the record of its mail. */
  async cleanup(): Promise<number> {
    const deleted = await this.dataSource.transaction(async (em) => {
      await em.query(
        `DELETE FROM sent_notices WHERE kind = $1 AND notice_key IN (
           SELECT $1 || ':' || id FROM data_exports WHERE expires_at <= now())`,
        [EXPORT_READY_KIND],
      );
      return selectRows(em, `DELETE FROM data_exports WHERE expires_at <= now() RETURNING id`);
    });
    if (deleted.length > 0) this.logger.log(`deleted ${deleted.length} expired data exports`);
    return deleted.length;
  }
}
