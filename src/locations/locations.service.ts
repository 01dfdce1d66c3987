import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { CacheResult } from '../cache/cache-result.decorator.js';
import { CursorCodec } from '../common/cursor.js';
import { escapeLike } from '../common/like.js';
import { DEFAULT_PAGE_SIZE, toPage, type Page } from '../common/page.js';
import { City } from './city.entity.js';
import { CityDto, StateDto, type ListCitiesQueryDto } from './dto/location.dto.js';
import { State } from './state.entity.js';
import { AppError } from '../common/error-codes.js';

const CITY_ORDER = 'name';

@Injectable()
export class LocationsService {
  constructor(
    @InjectRepository(State) private readonly states: Repository<State>,
    @InjectRepository(City) private readonly cities: Repository<City>,
    private readonly cursors: CursorCodec,
  ) {}

  async listStates(): Promise<StateDto[]> {
    const rows = await this.states.find({ order: { name: 'ASC' } });
    return rows.map(StateDto.from);
  }

  /** Cities by name, optionally of one state and starting with `q`; keyset-paginated. */
  async listCities(query: ListCitiesQueryDto): Promise<Page<CityDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const qb = this.cities
      .createQueryBuilder('c')
      .orderBy('c.name', 'ASC')
      .addOrderBy('c.id', 'ASC');
    if (query.stateId !== undefined) {
      if (!(await this.states.existsBy({ id: query.stateId }))) {
        throw new AppError('STATE_NOT_FOUND', `State ${query.stateId} not found`);
      }
      qb.andWhere('c.state_id = :stateId', { stateId: query.stateId });
    }
    if (query.q) {
      qb.andWhere(`lower(c.name) LIKE :prefix ESCAPE '\\'`, {
        prefix: `${escapeLike(query.q.toLowerCase())}%`,
      });
    }
    if (query.cursor) {
      const [name, id] = this.cursors.decode(query.cursor, CITY_ORDER, ['string', 'number']);
      qb.andWhere('(c.name, c.id) > (:name, :id)', { name, id });
    }
    const rows = await qb.limit(limit + 1).getMany();
    return toPage(rows, limit, CityDto.from, (last) =>
      this.cursors.encode({ o: CITY_ORDER, v: [last.name, last.id] }),
    );
  }

  /** The city with its state id, or 404 naming the field. Cached: reference data. */
  @CacheResult({ tags: ['locations'] })
  async getCity(cityId: number): Promise<City> {
    const city = await this.cities.findOneBy({ id: cityId });
    if (!city) throw new AppError('CITY_NOT_FOUND', `City ${cityId} not found`);
    return city;
  }
}
