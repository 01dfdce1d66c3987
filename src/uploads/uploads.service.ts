import { randomUUID } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, type Type } from '@nestjs/common';
import type { Request } from 'express';
import { fileTypeFromFile } from 'file-type';
import multer, { MulterError } from 'multer';
import { DataSource } from 'typeorm';
import type { AuthUser } from '../common/auth-user.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { AppError } from '../common/error-codes.js';
import { createValidationPipe } from '../common/validation.js';

const IMAGE_TYPES: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
};
const PDF = 'application/pdf';
/** Public URL prefix of UPLOAD_DIR (see setupApp). */
export const PUBLIC_UPLOADS_PREFIX = '/uploads';
/** A stored spa image's file name, as `DELETE /spas/:id/images/:name` takes it. */
export const IMAGE_FILE = /^[0-9a-f-]{36}\.(jpg|png|webp)$/;
const RESUME_FILE = /^[0-9a-f-]{36}\.pdf$/;
/**
 * Files being received live here, on the destination's file system (so keeping one is a
 * rename), under a dot-name that the static /uploads route refuses to serve.
 */
const INCOMING = '.incoming';

export type UploadKind = 'image' | 'resume';

/** A file received into its temporary place, not yet judged or counted. */
export interface IncomingFile {
  kind: UploadKind;
  field: string;
  path: string;
  size: number;
}

/** What a multipart request carried: its text fields (validated) and at most one file. */
export interface Received<T> {
  fields: T | undefined;
  file?: IncomingFile;
}

/** A file kept in its final place and counted against its uploader's quota. */
export interface StoredFile {
  kind: UploadKind;
  /** File name under its folder: the resume's row keeps this. */
  name: string;
  /** Public URL (images only). */
  url: string | null;
  size: number;
  userId: number;
  /** The UTC day the upload was counted on (for a refund). */
  day: string;
}

/**
 * Multipart uploads streamed to disk, never buffered: each file goes to a temporary file while
 * it arrives (cut off with a 413 past MAX_UPLOAD_MB), is judged by its bytes (magic numbers,
 * never name or declared type), counted against the uploader's daily quota in the database,
 * and only then renamed into place under a random name; every failure deletes it. Callers
 * authorize *before* calling `receive`, so a request that may not upload is answered before
 * its body is read. Images go under the public UPLOAD_DIR; resumes under RESUME_DIR, which no
 * route serves statically.
 */
@Injectable()
export class UploadsService {
  private readonly validation = createValidationPipe();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * Reads a multipart body (when the request is multipart) with at most one file in `field`;
   * its text fields are validated as `fieldsDto` exactly as a JSON body would be (without one,
   * they are ignored). The caller owns the returned file: `keep` it or `discard` it.
   */
  async receive<T extends object = never>(
    req: Request,
    actor: AuthUser,
    kind: UploadKind,
    field: string,
    fieldsDto?: Type<T>,
  ): Promise<Received<T>> {
    if (!req.is('multipart/form-data')) return { fields: undefined };
    await this.assertQuotaLeft(actor);
    const dir = this.incomingDir(kind);
    const upload = multer({
      storage: multer.diskStorage({
        destination: (_req, _file, cb) => {
          mkdir(dir, { recursive: true, mode: 0o700 }).then(
            () => cb(null, dir),
            (err: Error) => cb(err, dir),
          );
        },
        filename: (_req, _file, cb) => cb(null, `${randomUUID()}.part`),
      }),
      limits: {
        fileSize: this.config.uploads.maxBytes,
        files: 1,
        fields: 10,
        fieldSize: 64 * 1024,
        parts: 12,
      },
    }).single(field);
    try {
      await new Promise<void>((resolve, reject) =>
        upload(req, req.res!, (err?: unknown) =>
          err
            ? reject(err instanceof Error ? err : new Error('multipart parsing failed'))
            : resolve(),
        ),
      );
    } catch (err) {
      // multer has already deleted what it wrote for an aborted request
      throw this.toAppError(err, field);
    }
    const file: IncomingFile | undefined = req.file && {
      kind,
      field,
      path: req.file.path,
      size: req.file.size,
    };
    try {
      const fields = fieldsDto
        ? ((await this.validation.transform(
            { ...(req.body as Record<string, unknown> | undefined) },
            { type: 'body', metatype: fieldsDto },
          )) as T)
        : undefined;
      return { fields, file };
    } catch (err) {
      await this.discard(file);
      throw err;
    }
  }

  /** Receives the one image of a request and keeps it. */
  async storeImage(req: Request, actor: AuthUser, field = 'image'): Promise<StoredFile> {
    const received = await this.receive(req, actor, 'image', field);
    try {
      return await this.keep(actor, required(received.file, field));
    } finally {
      await this.discard(received.file);
    }
  }

  /**
   * Judges the file by its content, counts it against the quota and moves it into place;
   * the temporary file is gone afterwards whatever happens.
   */
  async keep(actor: AuthUser, file: IncomingFile): Promise<StoredFile> {
    try {
      required(file, file.field);
      const ext = await this.extensionOf(file);
      const day = await this.charge(actor, file.size);
      const name = `${randomUUID()}.${ext}`;
      const finalDir = file.kind === 'image' ? this.imagesDir() : this.config.uploads.resumeDir;
      try {
        await mkdir(finalDir, { recursive: true, mode: file.kind === 'image' ? 0o755 : 0o700 });
        await rename(file.path, join(finalDir, name));
        // multer creates files with the default mode; a resume is readable by the service only
        if (file.kind === 'resume') await chmod(join(finalDir, name), 0o600);
      } catch (err) {
        await this.refund(actor.id, day, file.size);
        throw err;
      }
      return {
        kind: file.kind,
        name,
        url: file.kind === 'image' ? `${PUBLIC_UPLOADS_PREFIX}/spas/${name}` : null,
        size: file.size,
        userId: actor.id,
        day,
      };
    } finally {
      await this.discard(file);
    }
  }

  /** Deletes a received file that will not be kept (idempotent). */
  async discard(file: IncomingFile | undefined): Promise<void> {
    if (file) await rm(file.path, { force: true });
  }

  /** Undoes `keep` when the row that would point at the file could not be written. */
  async release(file: StoredFile): Promise<void> {
    await (file.kind === 'image' ? this.removeImage(file.url!) : this.removeResume(file.name));
    await this.refund(file.userId, file.day, file.size);
  }

  /** Deletes a public image by its URL; URLs that are not a stored image are ignored. */
  async removeImage(url: string): Promise<void> {
    const name = url.slice(`${PUBLIC_UPLOADS_PREFIX}/spas/`.length);
    if (!url.startsWith(`${PUBLIC_UPLOADS_PREFIX}/spas/`) || !IMAGE_FILE.test(name)) return;
    await rm(join(this.imagesDir(), name), { force: true });
  }

  async removeResume(name: string): Promise<void> {
    if (RESUME_FILE.test(name))
      await rm(join(this.config.uploads.resumeDir, name), { force: true });
  }

  openResume(name: string): ReadStream {
    if (!RESUME_FILE.test(name)) throw new AppError('RESUME_NOT_FOUND', 'Resume not found');
    return createReadStream(join(this.config.uploads.resumeDir, name));
  }

  private imagesDir(): string {
    return join(this.config.uploads.publicDir, 'spas');
  }

  private incomingDir(kind: UploadKind): string {
    return join(
      kind === 'image' ? this.config.uploads.publicDir : this.config.uploads.resumeDir,
      INCOMING,
    );
  }

  private async extensionOf(file: IncomingFile): Promise<string> {
    const type = await fileTypeFromFile(file.path);
    if (file.kind === 'resume') {
      if (type?.mime !== PDF) {
        throw new AppError(
          'UNSUPPORTED_RESUME_TYPE',
          `${file.field} must be a PDF document (judged by its content)`,
        );
      }
      return 'pdf';
    }
    const ext = type && IMAGE_TYPES[type.mime];
    if (!ext) {
      throw new AppError(
        'UNSUPPORTED_IMAGE_TYPE',
        `${file.field} must be a JPEG, PNG or WebP image (judged by its content)`,
      );
    }
    return ext;
  }

  /** Refuses before the body is read when today's quota is already used up. */
  private async assertQuotaLeft(actor: AuthUser): Promise<void> {
    const rows: { bytes: string; files: number }[] = await this.dataSource.query(
      `SELECT bytes, files FROM upload_usage
        WHERE user_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date`,
      [actor.id],
    );
    const { dailyQuotaBytes, dailyQuotaFiles } = this.config.uploads;
    if (rows[0] && (Number(rows[0].bytes) >= dailyQuotaBytes || rows[0].files >= dailyQuotaFiles))
      throw this.quotaExceeded();
  }

  /**
   * Counts one file of `bytes` for today, atomically: the conditional upsert is the only check,
   * so concurrent uploads on any number of processes cannot pass the quota together.
   * Returns the day counted on.
   */
  private async charge(actor: AuthUser, bytes: number): Promise<string> {
    const { dailyQuotaBytes, dailyQuotaFiles } = this.config.uploads;
    if (bytes > dailyQuotaBytes) throw this.quotaExceeded();
    const rows: { day: string }[] = await this.dataSource.query(
      `INSERT INTO upload_usage AS u (user_id, day, bytes, files)
       VALUES ($1, (now() AT TIME ZONE 'UTC')::date, $2, 1)
       ON CONFLICT (user_id, day) DO UPDATE
         SET bytes = u.bytes + EXCLUDED.bytes, files = u.files + 1
         WHERE u.bytes + EXCLUDED.bytes <= $3 AND u.files + 1 <= $4
       RETURNING day::text AS day`,
      [actor.id, bytes, dailyQuotaBytes, dailyQuotaFiles],
    );
    if (rows.length === 0) throw this.quotaExceeded();
    return rows[0].day;
  }

  private async refund(userId: number, day: string, bytes: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE upload_usage SET bytes = greatest(bytes - $3, 0), files = greatest(files - 1, 0)
        WHERE user_id = $1 AND day = $2::date`,
      [userId, day, bytes],
    );
  }

  private quotaExceeded(): AppError {
    const { dailyQuotaBytes, dailyQuotaFiles } = this.config.uploads;
    return new AppError(
      'UPLOAD_QUOTA_EXCEEDED',
      `Daily upload quota reached: at most ${dailyQuotaFiles} files and ${dailyQuotaBytes / 2 ** 20} MB per account and day (UPLOAD_DAILY_QUOTA_FILES, UPLOAD_DAILY_QUOTA_MB); it resets at 00:00 UTC`,
    );
  }

  private toAppError(err: unknown, field: string): unknown {
    if (err instanceof MulterError) {
      switch (err.code) {
        case 'LIMIT_FILE_SIZE':
          return new AppError(
            'PAYLOAD_TOO_LARGE',
            `${field} is too large: at most MAX_UPLOAD_MB (${this.config.uploads.maxBytes / 2 ** 20} MB)`,
          );
        case 'LIMIT_UNEXPECTED_FILE':
          return new AppError(
            'VALIDATION_FAILED',
            `Unexpected file field "${err.field ?? ''}": send the file in the multipart field "${field}"`,
          );
        case 'LIMIT_FILE_COUNT':
          return new AppError('VALIDATION_FAILED', `Too many files: send one file in "${field}"`);
        default:
          return new AppError(
            'PAYLOAD_TOO_LARGE',
            `The multipart body is too large: ${err.message}`,
          );
      }
    }
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      return new AppError('SERVICE_UNAVAILABLE', 'The server cannot store files right now');
    }
    if (code?.startsWith('E')) return err;
    // busboy's parse errors: a truncated or malformed body
    return new AppError('BAD_REQUEST', 'The multipart body is malformed or incomplete');
  }
}

function required(file: IncomingFile | undefined, field: string): IncomingFile {
  if (!file || file.size === 0) {
    throw new AppError(
      'FILE_REQUIRED',
      `${field} is missing or empty: send a file in the multipart field "${field}"`,
    );
  }
  return file;
}
