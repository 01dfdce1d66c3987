import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, type Repository } from 'typeorm';
import type { AuthUser } from '../common/auth-user.js';
import { CursorCodec } from '../common/cursor.js';
import { definedOnly } from '../common/defined.js';
import { AppError } from '../common/error-codes.js';
import { paginate, type Keyset } from '../common/keyset.js';
import type { Page, PageQueryDto } from '../common/page.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type {
  CreateSavedSearchDto,
  SavedSearchDto,
  SavedSearchFiltersDto,
  SavedSearchUnsubscribedDto,
  UpdateSavedSearchDto,
} from './dto/saved-search.dto.js';
import { SavedSearch, type SavedFilters } from './saved-search.entity.js';
import { unsubscribeOwner } from './unsubscribe-link.js';

/** First key of the per-user advisory lock that serializes creation (the second is the user id). */
const SAVED_SEARCH_COUNT_LOCK = 8_123_458;

const NEWEST: Keyset<SavedSearch> = {
  name: 'saved-searches',
  dir: 'DESC',
  keys: [
    { column: 'ss.created_at', type: 'date', of: (s) => s.createdAt.toISOString() },
    { column: 'ss.id', type: 'int', of: (s) => s.id },
  ],
};

const notFound = (id: number) =>
  new AppError('SAVED_SEARCH_NOT_FOUND', `Saved search ${id} not found`);

/** The filters as stored: only those that were sent, as plain JSON values. */
const plainFilters = (filters: SavedSearchFiltersDto): SavedFilters => definedOnly({ ...filters });

function toDto(this: void, s: SavedSearch): SavedSearchDto {
  return {
    id: s.id,
    name: s.name,
    filters: s.filters,
    frequency: s.frequency,
    lastDigestAt: s.lastDigestAt,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

/**
 * A job seeker's saved searches. Every read and write is scoped to the caller's own rows: a
 * search of someone else's is a 404, exactly like one that does not exist.
 */
@Injectable()
export class SavedSearchesService {
  constructor(
    @InjectRepository(SavedSearch) private readonly searches: Repository<SavedSearch>,
    private readonly dataSource: DataSource,
    private readonly cursors: CursorCodec,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * At most MAX_SAVED_SEARCHES each; count and insert run under a per-user advisory lock, so
   * concurrent creates cannot pass the bound together.
   */
  async create(actor: AuthUser, dto: CreateSavedSearchDto): Promise<SavedSearchDto> {
    const max = this.config.savedSearches.maxPerUser;
    const id = await this.dataSource.transaction(async (em) => {
      await em.query('SELECT pg_advisory_xact_lock($1, $2)', [SAVED_SEARCH_COUNT_LOCK, actor.id]);
      const [{ n }] = await em.query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM saved_searches WHERE user_id = $1',
        [actor.id],
      );
      if (n >= max) {
        throw new AppError(
          'TOO_MANY_SAVED_SEARCHES',
          `A job seeker keeps at most ${max} saved searches; delete one to save another`,
        );
      }
      const inserted = await em.insert(SavedSearch, {
        userId: actor.id,
        name: dto.name,
        filters: plainFilters(dto.filters),
        frequency: dto.frequency ?? 'instant',
      });
      return inserted.identifiers[0].id as number;
    });
    return this.get(actor, id);
  }

  /** The caller's own searches, newest first. */
  list(actor: AuthUser, query: PageQueryDto): Promise<Page<SavedSearchDto>> {
    const qb = this.searches
      .createQueryBuilder('ss')
      .where('ss.user_id = :userId', { userId: actor.id });
    return paginate(qb, NEWEST, { ...query, codec: this.cursors, map: toDto });
  }

  async get(actor: AuthUser, id: number): Promise<SavedSearchDto> {
    const search = await this.searches.findOneBy({ id, userId: actor.id });
    if (!search) throw notFound(id);
    return toDto(search);
  }

  /** `filters`, when sent, replaces the saved filters whole. */
  async update(actor: AuthUser, id: number, dto: UpdateSavedSearchDto): Promise<SavedSearchDto> {
    const { filters, ...fields } = definedOnly(dto);
    const changes = { ...fields, ...(filters ? { filters: plainFilters(filters) } : {}) };
    if (Object.keys(changes).length > 0) {
      const updated = await this.searches.update({ id, userId: actor.id }, changes);
      if (!updated.affected) throw notFound(id);
    }
    return this.get(actor, id);
  }

  async remove(actor: AuthUser, id: number): Promise<void> {
    const deleted = await this.searches.delete({ id, userId: actor.id });
    if (!deleted.affected) throw notFound(id);
  }

  /**
   * The no-login link of an alert mail: its token, signed for this search and its owner, turns
   * the search's alerts off. Anything else (forged, edited, another search's) changes nothing.
   */
  async unsubscribe(id: number, token: string): Promise<SavedSearchUnsubscribedDto> {
    const userId = unsubscribeOwner(this.config.auth.secretKey, token, id);
    if (userId === undefined) {
      throw new AppError(
        'UNSUBSCRIBE_TOKEN_INVALID',
        `The token is not an unsubscribe link for saved search ${id}`,
      );
    }
    const updated = await this.searches.update({ id, userId }, { frequency: 'off' });
    if (!updated.affected) throw notFound(id);
    return { id, frequency: 'off' };
  }
}
