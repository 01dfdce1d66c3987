import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { selectRows } from '../database/sql.js';
import { UploadsService } from '../uploads/uploads.service.js';
import { camelRow, PERSONAL_TABLES, USER_ROW } from './personal-data.js';

export const EXPORT_FORMAT = 'spajobs-data-export/1';

type Row = Record<string, unknown>;

/** A file inside the document: its bytes as base64, with what a reader needs to save it. */
export interface ExportedFile {
  fileName: string;
  mediaType: string;
  size: number;
  base64: string;
}

const IMAGE_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};

/**
 * Builds the export document of one account: its row (no password hash), then a section per
 * personal table (see PERSONAL_TABLES), resumes inline as base64. Spa images are public files:
 * each is listed with its URL, file name and media type rather than inlined (20 per spa, 10 MB
 * each, would make documents of gigabytes). Reads run one by one outside any transaction: on
 * the embedded database an open transaction would stop every other connection meanwhile.
 */
@Injectable()
export class ExportDocuments {
  constructor(
    private readonly dataSource: DataSource,
    private readonly uploads: UploadsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async build(userId: number, exportId: number): Promise<Row | undefined> {
    const [user] = await this.rows(USER_ROW, userId);
    if (!user) return undefined;
    const document: Row = {
      format: EXPORT_FORMAT,
      exportId,
      generatedAt: new Date().toISOString(),
      user,
    };
    for (const table of PERSONAL_TABLES) {
      document[table.section] = await this.rows(table.select, userId);
    }
    for (const application of document.applications as Row[]) {
      application.resume = await this.resume(application.resumeFile as string | null);
    }
    for (const spa of document.spas as Row[]) {
      spa.images = (spa.images as string[]).map((url) => this.image(url));
    }
    return document;
  }

  private async rows(sql: string, userId: number): Promise<Row[]> {
    const rows = await selectRows<{ row: Row }>(this.dataSource, sql, [userId]);
    return rows.map((r) => camelRow(r.row));
  }

  private async resume(name: string | null): Promise<ExportedFile | null> {
    if (!name) return null;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of this.uploads.openResume(name)) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      return {
        fileName: name,
        mediaType: 'application/pdf',
        size: bytes.length,
        base64: bytes.toString('base64'),
      };
    } catch (err) {
      // a file lost from disk leaves its row; the document says so rather than failing for good
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  private image(url: string): { url: string; fileName: string; mediaType: string | null } {
    const fileName = url.slice(url.lastIndexOf('/') + 1);
    return {
      url: `${this.config.publicUrl}${url}`,
      fileName,
      mediaType: IMAGE_TYPES[fileName.slice(fileName.lastIndexOf('.') + 1)] ?? null,
    };
  }
}
