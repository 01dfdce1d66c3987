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
import { Job } from '../jobs/job.entity.js';
import { User } from '../users/user.entity.js';

export const APPLICATION_STATUSES = [
  'submitted',
  'reviewed',
  'shortlisted',
  'rejected',
  'hired',
  'withdrawn',
] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

@Entity({ name: 'applications' })
export class Application {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'job_id', type: 'int' })
  jobId: number;

  @ManyToOne(() => Job, { nullable: false })
  @JoinColumn({ name: 'job_id' })
  job?: Relation<Job>;

  @Column({ name: 'applicant_id', type: 'int' })
  applicantId: number;

  @ManyToOne(() => User, { nullable: false })
  @JoinColumn({ name: 'applicant_id' })
  applicant?: Relation<User>;

  @Column({ type: 'varchar', length: 16, default: 'submitted' })
  status: ApplicationStatus;

  @Column({ name: 'cover_letter', type: 'text', nullable: true })
  coverLetter: string | null;

  /** File name inside RESUME_DIR; never a public URL. */
  @Column({ name: 'resume_file', type: 'varchar', length: 80, nullable: true, select: false })
  resumeFile: string | null;

  @Column({ name: 'resume_size', type: 'int', nullable: true })
  resumeSize: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
