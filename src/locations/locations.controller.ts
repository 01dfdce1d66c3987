import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Roles } from '../common/auth.decorators.js';
import { IdPipe } from '../common/id.pipe.js';
import { HttpCached } from '../cache/http-cache.interceptor.js';
import { NoQueryDto, type Page } from '../common/page.js';
import {
  CityDto,
  CityPageDto,
  CreateCityDto,
  CreateStateDto,
  ListCitiesQueryDto,
  StateDto,
  StateListDto,
  UpdateCityDto,
  UpdateStateDto,
} from './dto/location.dto.js';
import { LocationsService } from './locations.service.js';

@ApiTags('locations')
@Controller()
export class LocationsController {
  constructor(private readonly locations: LocationsService) {}

  @Get('states')
  @HttpCached('locations')
  @ApiOperation({ operationId: 'listStates', summary: 'All 50 states, by name (one page)' })
  @ApiOkResponse({ type: StateListDto })
  async states(@Query() _query: NoQueryDto): Promise<StateListDto> {
    return { data: await this.locations.listStates(), nextCursor: null };
  }

  @Get('cities')
  @HttpCached('locations')
  @ApiOperation({
    operationId: 'listCities',
    summary: 'Cities by name; filter by state and name prefix',
  })
  @ApiOkResponse({ type: CityPageDto })
  cities(@Query() query: ListCitiesQueryDto): Promise<Page<CityDto>> {
    return this.locations.listCities(query);
  }

  @Post('states')
  @Roles('admin')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'createState',
    summary: 'Add a state (admin); code, name and slug are unique',
  })
  @ApiCreatedResponse({ type: StateDto })
  createState(@Body() dto: CreateStateDto): Promise<StateDto> {
    return this.locations.createState(dto);
  }

  @Patch('states/:id')
  @Roles('admin')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'updateState',
    summary:
      'Rename or retire (isActive: false) a state (admin); a retired state and its cities leave the lists and new spas',
  })
  @ApiOkResponse({ type: StateDto })
  updateState(@Param('id', IdPipe) id: number, @Body() dto: UpdateStateDto): Promise<StateDto> {
    return this.locations.updateState(id, dto);
  }

  @Post('cities')
  @Roles('admin')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'createCity',
    summary: 'Add a city to an active state (admin); name and slug are unique within the state',
  })
  @ApiCreatedResponse({ type: CityDto })
  createCity(@Body() dto: CreateCityDto): Promise<CityDto> {
    return this.locations.createCity(dto);
  }

  @Patch('cities/:id')
  @Roles('admin')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'updateCity',
    summary:
      'Rename or retire (isActive: false) a city (admin); spas and jobs keep a retired city, new spas cannot choose it',
  })
  @ApiOkResponse({ type: CityDto })
  updateCity(@Param('id', IdPipe) id: number, @Body() dto: UpdateCityDto): Promise<CityDto> {
    return this.locations.updateCity(id, dto);
  }
}
