import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, type Repository } from 'typeorm';
import { isAdmin, type AuthUser } from '../common/auth-user.js';
import { CacheService } from '../cache/cache.service.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { CursorCodec } from '../common/cursor.js';
import { definedOnly } from '../common/defined.js';
import { isUniqueViolation } from '../common/db-errors.js';
import type { IdOrSlug } from '../common/id.pipe.js';
import { paginate, type Keyset, type SortKey } from '../common/keyset.js';
import type { Page, PageQueryDto } from '../common/page.js';
import { insertWithUniqueSlug, slugify } from '../common/slug.js';
import { LocationsService } from '../locations/locations.service.js';
import { IMAGE_FILE, PUBLIC_UPLOADS_PREFIX, UploadsService } from '../uploads/uploads.service.js';
import {
  ADMIN_ONLY_SPA_FIELDS,
  type CreateSpaDto,
  type ListSpasQueryDto,
  type SpaSort,
  type UpdateSpaDto,
} from './dto/spa-input.dto.js';
import { SpaDto } from './dto/spa.dto.js';
import { mayManage, SPA_LISTED } from './spa-access.js';
import { Spa } from './spa.entity.js';
import { AppError } from '../common/error-codes.js';

const MAX_IMAGES = 20;

/** What other modules need to know about a spa to authorize work on it. */
export type SpaRef = Pick<Spa, 'id' | 'ownerId' | 'cityId' | 'stateId' | 'isActive' | 'name'>;

const notFound = (id: number | string) => new AppError('SPA_NOT_FOUND', `Spa ${id} not found`);
const tooManyImages = () =>
  new AppError('TOO_MANY_IMAGES', `A spa has at most ${MAX_IMAGES} images`);
/** First key of the per-owner advisory lock that serializes spa creation (the second is the owner id). */
const SPA_COUNT_LOCK = 8_123_457;

const BY_ID: SortKey<Spa> = { column: 's.id', type: 'int', of: (s) => s.id };
const BY_CREATED: SortKey<Spa> = {
  column: 's.created_at',
  type: 'date',
  of: (s) => s.createdAt.toISOString(),
};
const SPA_ORDERS: Record<SpaSort, Keyset<Spa>> = {
  newest: { name: 'newest', dir: 'DESC', keys: [BY_CREATED, BY_ID] },
  rating: {
    name: 'rating',
    dir: 'DESC',
    keys: [{ column: 's.rating', type: 'number', of: (s) => s.rating }, BY_ID],
  },
};
/** Its own name: a public list's cursor cannot be replayed on the owner's list, nor the reverse. */
const MINE_ORDER: Keyset<Spa> = { name: 'mine', dir: 'DESC', keys: [BY_CREATED, BY_ID] };

@Injectable()
export class SpasService {
  constructor(
    @InjectRepository(Spa) private readonly spas: Repository<Spa>,
    private readonly dataSource: DataSource,
    private readonly locations: LocationsService,
    private readonly uploads: UploadsService,
    private readonly cursors: CursorCodec,
    private readonly cache: CacheService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * An employer owns at most MAX_SPAS_PER_EMPLOYER spas, deactivated ones included (they stay
   * in the database and an admin may restore them); admins are exempt. Count and insert run
   * under a per-owner advisory lock, so concurrent creates cannot pass the bound together.
   */
  async create(actor: AuthUser, dto: CreateSpaDto): Promise<SpaDto> {
    const city = await this.locations.getActiveCity(dto.cityId);
    const max = this.config.spas.maxPerEmployer;
    const spa = await insertWithUniqueSlug(
      slugify(`${dto.name} ${city.name}`, 150),
      (err) => isUniqueViolation(err, 'uq_spas_slug'),
      (slug) =>
        this.dataSource.transaction(async (em) => {
          if (!isAdmin(actor)) {
            await em.query('SELECT pg_advisory_xact_lock($1, $2)', [SPA_COUNT_LOCK, actor.id]);
            const [{ n }] = await em.query<{ n: number }[]>(
              'SELECT count(*)::int AS n FROM spas WHERE owner_id = $1',
              [actor.id],
            );
            if (n >= max) {
              throw new AppError(
                'TOO_MANY_SPAS',
                `An employer owns at most ${max} spas (deactivated ones included); ask an admin to remove one`,
              );
            }
          }
          return em.insert(Spa, {
            ownerId: actor.id,
            name: dto.name,
            slug,
            description: dto.description ?? null,
            address: dto.address ?? null,
            website: dto.website ?? null,
            cityId: city.id,
            stateId: city.stateId,
          });
        }),
    );
    await this.cache.invalidate('spas');
    return this.view(spa.identifiers[0].id as number);
  }

  async update(actor: AuthUser, id: number, dto: UpdateSpaDto): Promise<SpaDto> {
    const spa = await this.manageable(actor, id);
    const adminOnly = ADMIN_ONLY_SPA_FIELDS.filter((f) => dto[f] !== undefined);
    if (adminOnly.length > 0 && !isAdmin(actor)) {
      throw new AppError('ADMIN_ONLY_FIELD', `Only admins may set ${adminOnly.join(', ')}`);
    }
    const { cityId, ...fields } = definedOnly(dto);
    const city =
      cityId !== undefined && cityId !== spa.cityId
        ? await this.locations.getActiveCity(cityId)
        : undefined;
    const changes = { ...fields, ...(city ? { cityId: city.id, stateId: city.stateId } : {}) };
    if (Object.keys(changes).length === 0) return this.view(id);
    await this.dataSource.transaction(async (em) => {
      await em.update(Spa, { id }, changes);
      if (city) {
        // jobs carry their spa's location for the listing indexes
        await em.query(`UPDATE jobs SET city_id = $1, state_id = $2 WHERE spa_id = $3`, [
          city.id,
          city.stateId,
          id,
        ]);
      }
    });
    // job payloads embed their spa (name, rating, verification, location)
    await this.cache.invalidate('spas', 'jobs');
    return this.view(id);
  }

  /** Soft delete: the spa and its jobs disappear from every public read. */
  async remove(actor: AuthUser, id: number): Promise<void> {
    await this.manageable(actor, id);
    await this.spas.update({ id }, { isActive: false });
    await this.cache.invalidate('spas', 'jobs');
  }

  /** Authorizes first, then reads the upload: a caller who may not add images is never read. */
  async addImage(actor: AuthUser, id: number, req: Request): Promise<string> {
    await this.manageable(actor, id);
    const full = await this.spas
      .createQueryBuilder('s')
      .where('s.id = :id AND cardinality(s.images) >= :max', { id, max: MAX_IMAGES })
      .getExists();
    if (full) throw tooManyImages();
    const stored = await this.uploads.storeImage(req, actor);
    const url = stored.url!;
    // conditional, so concurrent uploads cannot push a spa past MAX_IMAGES
    const appended = await this.spas
      .createQueryBuilder()
      .update()
      .set({ images: () => 'array_append(images, :url)' })
      .where('id = :id AND cardinality(images) < :max', { id, url, max: MAX_IMAGES })
      .execute();
    if (!appended.affected) {
      await this.uploads.release(stored);
      throw tooManyImages();
    }
    await this.cache.invalidate('spas', 'jobs');
    return url;
  }

  /** Removes one image (`<uuid>.<ext>`) from the spa and from disk; 404 when the spa has none of that name. */
  async removeImage(actor: AuthUser, id: number, name: string): Promise<void> {
    await this.manageable(actor, id);
    const url = `${PUBLIC_UPLOADS_PREFIX}/spas/${name}`;
    const removed = IMAGE_FILE.test(name)
      ? await this.spas
          .createQueryBuilder()
          .update()
          .set({ images: () => 'array_remove(images, :url)' })
          .where('id = :id AND :url = ANY(images)', { id, url })
          .execute()
      : { affected: 0 };
    if (!removed.affected) {
      throw new AppError('IMAGE_NOT_FOUND', `Spa ${id} has no image named "${name}"`);
    }
    await this.uploads.removeImage(url);
    await this.cache.invalidate('spas', 'jobs');
  }

  /**
   * Removes every image of the spa and its files. Deactivating a spa keeps them (an admin may
   * restore it whole); this is how its files go for good.
   */
  async removeImages(actor: AuthUser, id: number): Promise<void> {
    await this.manageable(actor, id);
    const images = await this.dataSource.transaction(async (em) => {
      const [row] = await em.query<{ images: string[] }[]>(
        `SELECT images FROM spas WHERE id = $1 FOR UPDATE`,
        [id],
      );
      await em.update(Spa, { id }, { images: [] });
      return row.images;
    });
    for (const url of images) await this.uploads.removeImage(url);
    await this.cache.invalidate('spas', 'jobs');
  }

  /** An active spa, by id or slug, for anyone. */
  async getPublic(ref: IdOrSlug): Promise<SpaDto> {
    const spa = await this.withLocation()
      .where(ref.id !== undefined ? 's.id = :id' : 's.slug = :slug', ref)
      .andWhere(SPA_LISTED)
      .getOne();
    if (!spa) throw notFound(ref.id ?? ref.slug);
    return SpaDto.from(spa);
  }

  async list(query: ListSpasQueryDto): Promise<Page<SpaDto>> {
    const qb = this.withLocation().where(SPA_LISTED);
    if (query.stateId !== undefined)
      qb.andWhere('s.state_id = :stateId', { stateId: query.stateId });
    if (query.cityId !== undefined) qb.andWhere('s.city_id = :cityId', { cityId: query.cityId });
    if (query.minRating !== undefined)
      qb.andWhere('s.rating >= :minRating', { minRating: query.minRating });
    if (query.q)
      qb.andWhere(`s.search_vector @@ websearch_to_tsquery('english', :q)`, { q: query.q });
    return paginate(qb, SPA_ORDERS[query.sort ?? 'newest'], {
      ...query,
      codec: this.cursors,
      map: SpaDto.from,
    });
  }

  /** The caller's own spas, deactivated ones included, newest first. Never cached. */
  mine(actor: AuthUser, query: PageQueryDto): Promise<Page<SpaDto>> {
    const qb = this.withLocation().where('s.owner_id = :ownerId', { ownerId: actor.id });
    return paginate(qb, MINE_ORDER, { ...query, codec: this.cursors, map: SpaDto.from });
  }

  /**
   * The spa `actor` may change (post jobs on, edit, delete): see `mayManage`. Absent and (for
   * non-admins) deactivated spas are 404; someone else's is 403 while the public can see it
   * anyway, else 404: a non-owner learns nothing about a spa that is not public.
   */
  async manageable(actor: AuthUser, id: number): Promise<SpaRef> {
    const spa = await this.spas.findOne({
      select: {
        id: true,
        ownerId: true,
        cityId: true,
        stateId: true,
        isActive: true,
        ownerListed: true,
        name: true,
      },
      where: { id },
    });
    if (!spa || (!spa.isActive && !isAdmin(actor))) throw notFound(id);
    if (!mayManage(actor, spa.ownerId)) {
      if (!spa.ownerListed) throw notFound(id);
      throw new AppError('NOT_SPA_OWNER', 'This spa belongs to another employer');
    }
    return spa;
  }

  private withLocation() {
    return this.spas
      .createQueryBuilder('s')
      .innerJoinAndSelect('s.city', 'city')
      .innerJoinAndSelect('s.state', 'state');
  }

  private async view(id: number): Promise<SpaDto> {
    return SpaDto.from(await this.withLocation().where('s.id = :id', { id }).getOneOrFail());
  }
}
