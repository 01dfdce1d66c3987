import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { JobCategory } from '../categories/job-category.entity.js';
import { City } from '../locations/city.entity.js';
import { State } from '../locations/state.entity.js';
import { Spa } from '../spas/spa.entity.js';

export const EMPLOYMENT_TYPES = [
  'full_time',
  'part_time',
  'contract',
  'temporary',
  'internship',
] as const;
export type EmploymentType = (typeof EMPLOYMENT_TYPES)[number];

@Entity({ name: 'jobs' })
export class Job {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'spa_id', type: 'int' })
  spaId: number;

  @ManyToOne(() => Spa, { nullable: false })
  @JoinColumn({ name: 'spa_id' })
  spa?: Relation<Spa>;

  @Column({ name: 'category_id', type: 'int' })
  categoryId: number;

  @ManyToOne(() => JobCategory, { nullable: false })
  @JoinColumn({ name: 'category_id' })
  category?: Relation<JobCategory>;

  /** Copied from the spa so that location filters use one table's indexes. */
  @Column({ name: 'state_id', type: 'int' })
  stateId: number;

  @ManyToOne(() => State, { nullable: false })
  @JoinColumn({ name: 'state_id' })
  state?: Relation<State>;

  @Column({ name: 'city_id', type: 'int' })
  cityId: number;

  @ManyToOne(() => City, { nullable: false })
  @JoinColumn({ name: 'city_id' })
  city?: Relation<City>;

  @Column({ type: 'varchar', length: 150 })
  title: string;

  @Column({ type: 'varchar', length: 200, update: false })
  slug: string;

  @Column({ type: 'text' })
  description: string;

  @Column({ type: 'text', nullable: true })
  requirements: string | null;

  @Column({ name: 'employment_type', type: 'varchar', length: 16, default: 'full_time' })
  employmentType: EmploymentType;

  @Column({ name: 'salary_min', type: 'int', nullable: true })
  salaryMin: number | null;

  @Column({ name: 'salary_max', type: 'int', nullable: true })
  salaryMax: number | null;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive: boolean;

  /** Set when an admin closes the job: the owner cannot reopen it (only an admin can). */
  @Column({ name: 'closed_by_admin', type: 'boolean', default: false })
  closedByAdmin: boolean;

  @Column({ name: 'is_featured', type: 'boolean', default: false })
  isFeatured: boolean;

  @Column({ name: 'view_count', type: 'int', default: 0, update: false })
  viewCount: number;

  /** Set on every job the API creates (JOB_TTL_DAYS); null only for rows loaded without one. */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  /**
   * When the expiry scan dealt with this job's expiry (its cache entries invalidated); cleared
   * whenever `expiresAt` changes, so that the next expiry is seen again.
   */
  @Column({ name: 'expiry_processed_at', type: 'timestamptz', nullable: true, select: false })
  expiryProcessedAt: Date | null;

  @Column({ name: 'created_by', type: 'int' })
  createdBy: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
