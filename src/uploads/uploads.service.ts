import { randomUUID } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { fileTypeFromBuffer } from 'file-type';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { AppError } from '../common/error-codes.js';

const IMAGE_TYPES: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
};
const PDF = 'application/pdf';
/** Public URL prefix of UPLOAD_DIR (see setupApp). */
export const PUBLIC_UPLOADS_PREFIX = '/uploads';
const RESUME_FILE = /^[0-9a-f-]{36}\.pdf$/;

/** What a multipart file arrives as (multer's memory storage). */
export interface IncomingFile {
  fieldname: string;
  buffer: Buffer;
  size: number;
}

/**
 * Files judged by their bytes (magic numbers), never by name or declared type, stored under
 * random names. Images go under the public UPLOAD_DIR; resumes under RESUME_DIR, which no
 * route serves statically. Size limits are enforced by multer before the file reaches here.
 */
@Injectable()
export class UploadsService {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Stores a JPEG, PNG or WebP image under UPLOAD_DIR/<folder> and returns its public URL. */
  async storeImage(
    file: IncomingFile | undefined,
    folder: 'spas',
    field = 'image',
  ): Promise<string> {
    const data = required(file, field);
    const type = await fileTypeFromBuffer(data);
    const ext = type && IMAGE_TYPES[type.mime];
    if (!ext) {
      throw new AppError(
        'UNSUPPORTED_IMAGE_TYPE',
        `${file!.fieldname} must be a JPEG, PNG or WebP image (judged by its content)`,
      );
    }
    const dir = join(this.config.uploads.publicDir, folder);
    const name = `${randomUUID()}.${ext}`;
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, name), data, { flag: 'wx' });
    return `${PUBLIC_UPLOADS_PREFIX}/${folder}/${name}`;
  }

  /** Deletes a public file by its URL (best effort: used to undo a store whose row was not written). */
  async removeImage(url: string): Promise<void> {
    const relative = url.slice(PUBLIC_UPLOADS_PREFIX.length + 1);
    if (!/^spas\/[0-9a-f-]{36}\.(jpg|png|webp)$/.test(relative)) return;
    await rm(join(this.config.uploads.publicDir, relative), { force: true });
  }

  /** Checks that the file is a PDF by its bytes; returns the bytes to store later. */
  async checkResume(file: IncomingFile): Promise<Buffer> {
    const data = required(file, file.fieldname);
    const type = await fileTypeFromBuffer(data);
    if (type?.mime !== PDF) {
      throw new AppError(
        'UNSUPPORTED_RESUME_TYPE',
        `${file.fieldname} must be a PDF document (judged by its content)`,
      );
    }
    return data;
  }

  /** Stores a checked resume privately; returns its file name (not a URL). */
  async storeResume(data: Buffer): Promise<string> {
    const dir = this.config.uploads.resumeDir;
    const name = `${randomUUID()}.pdf`;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, name), data, { flag: 'wx', mode: 0o600 });
    return name;
  }

  async removeResume(name: string): Promise<void> {
    if (RESUME_FILE.test(name))
      await rm(join(this.config.uploads.resumeDir, name), { force: true });
  }

  openResume(name: string): ReadStream {
    if (!RESUME_FILE.test(name)) throw new AppError('RESUME_NOT_FOUND', 'Resume not found');
    return createReadStream(join(this.config.uploads.resumeDir, name));
  }
}

function required(file: IncomingFile | undefined, field: string): Buffer {
  if (!file || file.size === 0) {
    throw new AppError(
      'FILE_REQUIRED',
      `${field} is missing or empty: send a file in the multipart field "${field}"`,
    );
  }
  return file.buffer;
}
