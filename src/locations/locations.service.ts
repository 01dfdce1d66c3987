import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { CacheResult } from '../cache/cache-result.decorator.js';
import { CacheService } from '../cache/cache.service.js';
import { patchById } from '../common/defined.js';
import { slugify } from '../common/slug.js';
import { CursorCodec } from '../common/cursor.js';
import { escapeLike } from '../common/like.js';
import { paginate, type Keyset } from '../common/keyset.js';
import type { Page } from '../common/page.js';
import { City } from './city.entity.js';
import {
  CityDto,
  StateDto,
  type CreateCityDto,
  type CreateStateDto,
  type ListCitiesQueryDto,
  type UpdateCityDto,
  type UpdateStateDto,
} from './dto/location.dto.js';
import { State } from './state.entity.js';
import { AppError } from '../common/error-codes.js';

const CITY_ORDER: Keyset<City> = {
  name: 'name',
  dir: 'ASC',
  keys: [
    { column: 'c.name', type: 'string', of: (c) => c.name },
    { column: 'c.id', type: 'int', of: (c) => c.id },
  ],
};

@Injectable()
export class LocationsService {
  constructor(
    @InjectRepository(State) private readonly states: Repository<State>,
    @InjectRepository(City) private readonly cities: Repository<City>,
    private readonly cursors: CursorCodec,
    private readonly cache: CacheService,
  ) {}

  async listStates(): Promise<StateDto[]> {
    const rows = await this.states.find({ where: { isActive: true }, order: { name: 'ASC' } });
    return rows.map(StateDto.from);
  }

  /** Cities by name, optionally of one state and starting with `q`; keyset-paginated. */
  async listCities(query: ListCitiesQueryDto): Promise<Page<CityDto>> {
    // retired cities, and the cities of a retired state, leave the list
    const qb = this.cities.createQueryBuilder('c').innerJoin('c.state', 'st', 'st.is_active');
    qb.where('c.is_active');
    if (query.stateId !== undefined) {
      if (!(await this.states.existsBy({ id: query.stateId, isActive: true }))) {
        throw new AppError('STATE_NOT_FOUND', `State ${query.stateId} not found`);
      }
      qb.andWhere('c.state_id = :stateId', { stateId: query.stateId });
    }
    if (query.q) {
      qb.andWhere(`lower(c.name) LIKE :prefix ESCAPE '\\'`, {
        prefix: `${escapeLike(query.q.toLowerCase())}%`,
      });
    }
    return paginate(qb, CITY_ORDER, { ...query, codec: this.cursors, map: CityDto.from });
  }

  /**
   * The city with its state id, or 404 naming the field; retired ones too (an existing spa
   * keeps its city). Cached: reference data.
   */
  @CacheResult({ tags: ['locations'] })
  async getCity(cityId: number): Promise<City> {
    const city = await this.cities.findOneBy({ id: cityId });
    if (!city) throw new AppError('CITY_NOT_FOUND', `City ${cityId} not found`);
    return city;
  }

  /** A city a new spa may choose: not retired, nor in a retired state; else 404. Cached. */
  @CacheResult({ tags: ['locations'] })
  async getActiveCity(cityId: number): Promise<City> {
    const city = await this.cities
      .createQueryBuilder('c')
      .innerJoin('c.state', 'st', 'st.is_active')
      .where('c.id = :cityId AND c.is_active', { cityId })
      .getOne();
    if (!city) throw new AppError('CITY_NOT_FOUND', `City ${cityId} not found or retired`);
    return city;
  }

  async createState(dto: CreateStateDto): Promise<StateDto> {
    const result = await this.states.insert({
      code: dto.code,
      name: dto.name,
      slug: dto.slug ?? slugify(dto.name, 80),
    });
    await this.changed();
    return StateDto.from(
      await this.states.findOneByOrFail({ id: result.identifiers[0].id as number }),
    );
  }

  /** Renames (slug kept unless given), recodes, retires or restores a state. */
  async updateState(id: number, dto: UpdateStateDto): Promise<StateDto> {
    if (!(await patchById(this.states, id, dto))) {
      throw new AppError('STATE_NOT_FOUND', `State ${id} not found`);
    }
    await this.changed();
    return StateDto.from(await this.states.findOneByOrFail({ id }));
  }

  /** A new city of an active state. */
  async createCity(dto: CreateCityDto): Promise<CityDto> {
    if (!(await this.states.existsBy({ id: dto.stateId, isActive: true }))) {
      throw new AppError('STATE_NOT_FOUND', `State ${dto.stateId} not found or retired`);
    }
    const result = await this.cities.insert({
      stateId: dto.stateId,
      name: dto.name,
      slug: dto.slug ?? slugify(dto.name, 120),
    });
    await this.changed();
    return CityDto.from(
      await this.cities.findOneByOrFail({ id: result.identifiers[0].id as number }),
    );
  }

  /** Renames (slug kept unless given), retires or restores a city; its state is fixed. */
  async updateCity(id: number, dto: UpdateCityDto): Promise<CityDto> {
    if (!(await patchById(this.cities, id, dto))) {
      throw new AppError('CITY_NOT_FOUND', `City ${id} not found`);
    }
    await this.changed();
    return CityDto.from(await this.cities.findOneByOrFail({ id }));
  }

  /** Location lists, and the spa and job payloads that embed city and state names. */
  private changed(): Promise<void> {
    return this.cache.invalidate('locations', 'spas', 'jobs');
  }
}
