import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, type Repository } from 'typeorm';
import { isAdmin, type AuthUser } from '../auth/auth-user.js';
import { CacheService } from '../cache/cache.service.js';
import { CursorCodec } from '../common/cursor.js';
import { definedOnly } from '../common/defined.js';
import { isUniqueViolation } from '../common/db-errors.js';
import type { IdOrSlug } from '../common/id.pipe.js';
import { DEFAULT_PAGE_SIZE, toPage, type Page } from '../common/page.js';
import { insertWithUniqueSlug, slugify } from '../common/slug.js';
import { LocationsService } from '../locations/locations.service.js';
import { UploadsService, type IncomingFile } from '../uploads/uploads.service.js';
import {
  ADMIN_ONLY_SPA_FIELDS,
  type CreateSpaDto,
  type ListSpasQueryDto,
  type UpdateSpaDto,
} from './dto/spa-input.dto.js';
import { SpaDto } from './dto/spa.dto.js';
import { Spa } from './spa.entity.js';
import { AppError } from '../common/error-codes.js';

const MAX_IMAGES = 20;

/** What other modules need to know about a spa to authorize work on it. */
export type SpaRef = Pick<Spa, 'id' | 'ownerId' | 'cityId' | 'stateId' | 'isActive' | 'name'>;

const notFound = (id: number | string) => new AppError('SPA_NOT_FOUND', `Spa ${id} not found`);

@Injectable()
export class SpasService {
  constructor(
    @InjectRepository(Spa) private readonly spas: Repository<Spa>,
    private readonly dataSource: DataSource,
    private readonly locations: LocationsService,
    private readonly uploads: UploadsService,
    private readonly cursors: CursorCodec,
    private readonly cache: CacheService,
  ) {}

  async create(actor: AuthUser, dto: CreateSpaDto): Promise<SpaDto> {
    const city = await this.locations.getCity(dto.cityId);
    const spa = await insertWithUniqueSlug(
      slugify(`${dto.name} ${city.name}`, 150),
      (err) => isUniqueViolation(err, 'uq_spas_slug'),
      (slug) =>
        this.spas.insert({
          ownerId: actor.id,
          name: dto.name,
          slug,
          description: dto.description ?? null,
          address: dto.address ?? null,
          website: dto.website ?? null,
          cityId: city.id,
          stateId: city.stateId,
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
        ? await this.locations.getCity(cityId)
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

  async addImage(actor: AuthUser, id: number, file: IncomingFile | undefined): Promise<string> {
    await this.manageable(actor, id);
    const url = await this.uploads.storeImage(file, 'spas');
    // conditional, so concurrent uploads cannot push a spa past MAX_IMAGES
    const appended = await this.spas
      .createQueryBuilder()
      .update()
      .set({ images: () => 'array_append(images, :url)' })
      .where('id = :id AND cardinality(images) < :max', { id, url, max: MAX_IMAGES })
      .execute();
    if (!appended.affected) {
      await this.uploads.removeImage(url);
      throw new AppError('TOO_MANY_IMAGES', `A spa has at most ${MAX_IMAGES} images`);
    }
    await this.cache.invalidate('spas');
    return url;
  }

  /** An active spa, by id or slug, for anyone. */
  async getPublic(ref: IdOrSlug): Promise<SpaDto> {
    const spa = await this.withLocation()
      .where(ref.id !== undefined ? 's.id = :id' : 's.slug = :slug', ref)
      .andWhere('s.is_active')
      .getOne();
    if (!spa) throw notFound(ref.id ?? ref.slug);
    return SpaDto.from(spa);
  }

  async list(query: ListSpasQueryDto): Promise<Page<SpaDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const sort = query.sort ?? 'newest';
    const qb = this.withLocation()
      .where('s.is_active')
      .limit(limit + 1);
    if (query.stateId !== undefined)
      qb.andWhere('s.state_id = :stateId', { stateId: query.stateId });
    if (query.cityId !== undefined) qb.andWhere('s.city_id = :cityId', { cityId: query.cityId });
    if (query.minRating !== undefined)
      qb.andWhere('s.rating >= :minRating', { minRating: query.minRating });
    if (query.q)
      qb.andWhere(`s.search_vector @@ websearch_to_tsquery('english', :q)`, { q: query.q });

    if (sort === 'rating') {
      qb.orderBy('s.rating', 'DESC').addOrderBy('s.id', 'DESC');
      if (query.cursor) {
        const [rating, id] = this.cursors.decode(query.cursor, sort, ['number', 'number']);
        qb.andWhere('(s.rating, s.id) < (:rating, :id)', { rating, id });
      }
    } else {
      qb.orderBy('s.created_at', 'DESC').addOrderBy('s.id', 'DESC');
      if (query.cursor) {
        const [createdAt, id] = this.cursors.decode(query.cursor, sort, ['string', 'number']);
        qb.andWhere('(s.created_at, s.id) < (:createdAt, :id)', { createdAt, id });
      }
    }
    const rows = await qb.getMany();
    return toPage(rows, limit, SpaDto.from, (last) =>
      this.cursors.encode({
        o: sort,
        v: sort === 'rating' ? [last.rating, last.id] : [last.createdAt.toISOString(), last.id],
      }),
    );
  }

  /**
   * The spa `actor` may change (post jobs on, edit, delete): theirs or any for an admin.
   * Absent and (for non-admins) deactivated spas are 404; someone else's is 403.
   */
  async manageable(actor: AuthUser, id: number): Promise<SpaRef> {
    const spa = await this.spas.findOne({
      select: { id: true, ownerId: true, cityId: true, stateId: true, isActive: true, name: true },
      where: { id },
    });
    if (!spa || (!spa.isActive && !isAdmin(actor))) throw notFound(id);
    if (spa.ownerId !== actor.id && !isAdmin(actor)) {
      throw new AppError('NOT_SPA_OWNER', 'This spa belongs to another employer');
    }
    return spa;
  }

  /** The owner of a spa (for authorizing work on its jobs and applications). */
  async ownerOf(spaId: number): Promise<number | null> {
    const spa = await this.spas.findOne({ select: { ownerId: true }, where: { id: spaId } });
    return spa?.ownerId ?? null;
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
