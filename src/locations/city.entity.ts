import {
  Column,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { State } from './state.entity.js';

@Entity({ name: 'cities' })
export class City {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'state_id', type: 'int' })
  stateId: number;

  @ManyToOne(() => State, { nullable: false })
  @JoinColumn({ name: 'state_id' })
  state?: Relation<State>;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'varchar', length: 120 })
  slug: string;

  /** false once retired: kept for existing spas and jobs, hidden from lists and new ones. */
  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive: boolean;
}
