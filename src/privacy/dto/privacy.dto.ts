import { ApiProperty } from '@nestjs/swagger';
import { BoolField } from '../../common/fields.js';
import { CurrentPasswordField } from '../../users/dto/user-input.dto.js';

export class ExportQueryDto {
  @BoolField({
    optional: true,
    description:
      'Prepare a new export even though one is ready (counts against the daily limit); the ready one is replaced once the new one is',
  })
  refresh?: boolean;
}

export class DeleteAccountDto {
  /** As for a password change: the account's current password, exactly as typed. */
  @CurrentPasswordField() currentPassword: string;
}

/** The 202 answer while the export is being prepared. */
export class DataExportPendingDto {
  @ApiProperty({ enum: ['pending'] }) status: 'pending';
  @ApiProperty({ example: 12 }) exportId: number;
  @ApiProperty() requestedAt: Date;
  @ApiProperty({
    description: 'Ask again after this many seconds (also in Retry-After)',
    example: 5,
  })
  retryAfterSeconds: number;
}

/** A file inside the export: its bytes in base64. */
export class ExportedFileDto {
  @ApiProperty({ example: '0f8c1d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f.pdf' }) fileName: string;
  @ApiProperty({ example: 'application/pdf' }) mediaType: string;
  @ApiProperty({ description: 'Bytes', example: 48213 }) size: number;
  @ApiProperty({ format: 'byte', description: 'The file, base64-encoded' }) base64: string;
}

/** A spa image as the export lists it (a public file: not inlined). */
export class ExportedImageDto {
  @ApiProperty({
    example: 'http://localhost:8010/uploads/spas/0f8c1d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f.png',
  })
  url: string;
  @ApiProperty({ example: '0f8c1d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f.png' }) fileName: string;
  @ApiProperty({ type: String, nullable: true, example: 'image/png' }) mediaType: string | null;
}

const ROWS = {
  type: 'array',
  items: { type: 'object', additionalProperties: true },
} as const;

export class ExportedApplicationDto {
  @ApiProperty() id: number;
  @ApiProperty() jobId: number;
  @ApiProperty() jobTitle: string;
  @ApiProperty() spaName: string;
  @ApiProperty() status: string;
  @ApiProperty({ type: String, nullable: true }) coverLetter: string | null;
  @ApiProperty({ type: ExportedFileDto, nullable: true }) resume: ExportedFileDto | null;
}

export class ExportedSpaDto {
  @ApiProperty() id: number;
  @ApiProperty() name: string;
  @ApiProperty({ type: [ExportedImageDto] }) images: ExportedImageDto[];
}

/**
 * The export document (`format` spajobs-data-export/1): every row kept about the caller, keys
 * in camelCase, resumes inline.
 */
export class DataExportDocumentDto {
  @ApiProperty({ example: 'spajobs-data-export/1' }) format: string;
  @ApiProperty() exportId: number;
  @ApiProperty() generatedAt: Date;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The account row (never the password hash or the token version)',
  })
  user: Record<string, unknown>;
  @ApiProperty({
    type: [ExportedApplicationDto],
    description: 'Applications made, with cover letters and resumes',
  })
  applications: ExportedApplicationDto[];
  @ApiProperty({ type: [ExportedSpaDto], description: 'Spas owned (employers)' })
  spas: ExportedSpaDto[];
  @ApiProperty({ ...ROWS, description: 'Jobs of those spas, and jobs posted' })
  jobs: unknown[];
  @ApiProperty({ ...ROWS, description: 'Upload quota use per UTC day' }) uploadUsage: unknown[];
  @ApiProperty({ ...ROWS, description: 'Notices mailed to the caller (kind, message id, time)' })
  sentNotices: unknown[];
  @ApiProperty({ ...ROWS, description: 'Saved job searches (filters, frequency)' })
  savedSearches: unknown[];
  @ApiProperty({ ...ROWS, description: 'Jobs each saved search alerted about' })
  savedSearchAlerts: unknown[];
  @ApiProperty({ ...ROWS, description: 'Notification choices (at most one row)' })
  noticePreferences: unknown[];
  @ApiProperty({
    ...ROWS,
    description:
      'Single-use tokens issued (purpose, new e-mail, times; never the token or its hash)',
  })
  accountTokens: unknown[];
  @ApiProperty({ ...ROWS, description: 'Exports asked for (not their documents)' })
  dataExports: unknown[];
}
