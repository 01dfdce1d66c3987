import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'states' })
export class State {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'char', length: 2 })
  code: string;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column({ type: 'varchar', length: 80 })
  slug: string;

  /** false once retired: kept for existing spas and jobs, hidden from lists and new ones. */
  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive: boolean;
}
