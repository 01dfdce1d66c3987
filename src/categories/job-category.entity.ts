import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'job_categories' })
export class JobCategory {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 80 })
  name: string;

  @Column({ type: 'varchar', length: 100 })
  slug: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  /** false once retired: kept for existing spas and jobs, hidden from lists and new ones. */
  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive: boolean;
}
