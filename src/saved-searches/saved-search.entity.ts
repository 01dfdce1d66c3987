import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/** How a saved search mails its new matches: one mail each, one digest a day, or not at all. */
export const ALERT_FREQUENCIES = ['instant', 'daily', 'off'] as const;
export type AlertFrequency = (typeof ALERT_FREQUENCIES)[number];

/** The filters of a `GET /jobs` query, as validated by its DTO (only the keys that were sent). */
export type SavedFilters = Record<string, string | number | boolean>;

@Entity({ name: 'saved_searches' })
export class SavedSearch {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'user_id', type: 'int', update: false })
  userId: number;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'jsonb' })
  filters: SavedFilters;

  @Column({ type: 'varchar', length: 8, default: 'instant' })
  frequency: AlertFrequency;

  /** When the last daily digest of this search was enqueued. */
  @Column({ name: 'last_digest_at', type: 'timestamptz', nullable: true })
  lastDigestAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
