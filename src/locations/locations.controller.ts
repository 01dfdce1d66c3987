import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HttpCached } from '../cache/http-cache.interceptor.js';
import { NoQueryDto, type Page } from '../common/page.js';
import { CityPageDto, ListCitiesQueryDto, StateListDto, type CityDto } from './dto/location.dto.js';
import { LocationsService } from './locations.service.js';

@ApiTags('locations')
@Controller()
export class LocationsController {
  constructor(private readonly locations: LocationsService) {}

  @Get('states')
  @HttpCached('locations')
  @ApiOperation({ summary: 'All 50 states, by name (one page)' })
  @ApiOkResponse({ type: StateListDto })
  async states(@Query() _query: NoQueryDto): Promise<StateListDto> {
    return { data: await this.locations.listStates(), nextCursor: null };
  }

  @Get('cities')
  @HttpCached('locations')
  @ApiOperation({ summary: 'Cities by name; filter by state and name prefix' })
  @ApiOkResponse({ type: CityPageDto })
  cities(@Query() query: ListCitiesQueryDto): Promise<Page<CityDto>> {
    return this.locations.listCities(query);
  }
}
