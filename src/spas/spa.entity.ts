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
import { numericTransformer } from '../common/numeric.transformer.js';
import { City } from '../locations/city.entity.js';
import { State } from '../locations/state.entity.js';
import { User } from '../users/user.entity.js';

@Entity({ name: 'spas' })
export class Spa {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'owner_id', type: 'int' })
  ownerId: number;

  @ManyToOne(() => User, { nullable: false })
  @JoinColumn({ name: 'owner_id' })
  owner?: Relation<User>;

  @Column({ type: 'varchar', length: 120 })
  name: string;

  /** Immutable once created: it is part of public URLs. */
  @Column({ type: 'varchar', length: 160, update: false })
  slug: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  address: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  website: string | null;

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

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  images: string[];

  @Column({ type: 'numeric', precision: 3, scale: 2, default: 0, transformer: numericTransformer })
  rating: number;

  @Column({ name: 'is_verified', type: 'boolean', default: false })
  isVerified: boolean;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive: boolean;

  /**
   * Whether its owner is an active employer or admin: kept by triggers on users and spas
   * (migration 1795740000002), never written by the application. The public sees a spa only
   * when both this and `isActive` hold, so a demotion hides it and a promotion brings it back.
   */
  @Column({ name: 'owner_listed', type: 'boolean', default: true, insert: false, update: false })
  ownerListed: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
