import {
  OneClickUnsubscribeDto,
  UnsubscribeQueryDto,
} from '../notices/dto/notice-preferences.dto.js';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../common/auth-user.js';
import { CurrentUser, Public, Roles } from '../common/auth.decorators.js';
import { IdPipe } from '../common/id.pipe.js';
import { PageQueryDto, type Page } from '../common/page.js';
import { ApiBodyContents, ApiErrors } from '../openapi/openapi.js';
import {
  CreateSavedSearchDto,
  SavedSearchDto,
  SavedSearchPageDto,
  SavedSearchUnsubscribedDto,
  UpdateSavedSearchDto,
} from './dto/saved-search.dto.js';
import { SavedSearchesService } from './saved-searches.service.js';

/**
 * A job seeker's saved searches (the role they have now: the guard reloads it on every request).
 * Employers and admins are refused (403): an admin has no alerts to manage and no business
 * reading a seeker's. The unsubscribe link of an alert mail needs no login.
 */
@ApiTags('saved-searches')
@Controller('saved-searches')
export class SavedSearchesController {
  constructor(private readonly searches: SavedSearchesService) {}

  @Post()
  @Roles('job_seeker')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'createSavedSearch',
    summary: 'Save the filters of a GET /jobs query, with instant or daily alerts',
  })
  @ApiCreatedResponse({ type: SavedSearchDto })
  @ApiErrors('TOO_MANY_SAVED_SEARCHES')
  create(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateSavedSearchDto,
  ): Promise<SavedSearchDto> {
    return this.searches.create(user, dto);
  }

  @Get()
  @Roles('job_seeker')
  @ApiBearerAuth()
  @ApiOperation({ operationId: 'listSavedSearches', summary: 'The caller’s saved searches' })
  @ApiOkResponse({ type: SavedSearchPageDto })
  list(@CurrentUser() user: AuthUser, @Query() query: PageQueryDto): Promise<Page<SavedSearchDto>> {
    return this.searches.list(user, query);
  }

  @Get(':id')
  @Roles('job_seeker')
  @ApiBearerAuth()
  @ApiOperation({ operationId: 'getSavedSearch', summary: 'One of the caller’s saved searches' })
  @ApiOkResponse({ type: SavedSearchDto })
  @ApiErrors('SAVED_SEARCH_NOT_FOUND')
  get(@CurrentUser() user: AuthUser, @Param('id', IdPipe) id: number): Promise<SavedSearchDto> {
    return this.searches.get(user, id);
  }

  @Patch(':id')
  @Roles('job_seeker')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'updateSavedSearch',
    summary: 'Rename a saved search, replace its filters or change its alerts',
  })
  @ApiOkResponse({ type: SavedSearchDto })
  @ApiErrors('SAVED_SEARCH_NOT_FOUND')
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', IdPipe) id: number,
    @Body() dto: UpdateSavedSearchDto,
  ): Promise<SavedSearchDto> {
    return this.searches.update(user, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('job_seeker')
  @ApiBearerAuth()
  @ApiOperation({ operationId: 'deleteSavedSearch', summary: 'Delete a saved search' })
  @ApiNoContentResponse()
  @ApiErrors('SAVED_SEARCH_NOT_FOUND')
  async remove(@CurrentUser() user: AuthUser, @Param('id', IdPipe) id: number): Promise<void> {
    await this.searches.remove(user, id);
  }

  @Get(':id/unsubscribe')
  @Public()
  @ApiOperation({
    operationId: 'unsubscribeSavedSearch',
    summary: 'The link of an alert mail: turns this search’s alerts off (no login)',
  })
  @ApiOkResponse({ type: SavedSearchUnsubscribedDto })
  @ApiErrors('UNSUBSCRIBE_TOKEN_INVALID', 'SAVED_SEARCH_NOT_FOUND')
  unsubscribe(
    @Param('id', IdPipe) id: number,
    @Query() query: UnsubscribeQueryDto,
  ): Promise<SavedSearchUnsubscribedDto> {
    return this.searches.unsubscribe(id, query.token);
  }

  @Post(':id/unsubscribe')
  @HttpCode(200)
  @Public()
  // what mail providers post (RFC 8058 §3.2); the token in the URL is all that is read
  @ApiBodyContents(
    {
      'application/x-www-form-urlencoded': OneClickUnsubscribeDto,
      'multipart/form-data': OneClickUnsubscribeDto,
    },
    { required: false, description: '`List-Unsubscribe=One-Click`, or nothing' },
  )
  @ApiOperation({
    operationId: 'unsubscribeSavedSearchOneClick',
    summary: 'RFC 8058 one-click unsubscribe (List-Unsubscribe-Post): as the GET, no login',
  })
  @ApiOkResponse({ type: SavedSearchUnsubscribedDto })
  @ApiErrors('UNSUBSCRIBE_TOKEN_INVALID', 'SAVED_SEARCH_NOT_FOUND')
  unsubscribeOneClick(
    @Param('id', IdPipe) id: number,
    @Query() query: UnsubscribeQueryDto,
  ): Promise<SavedSearchUnsubscribedDto> {
    return this.searches.unsubscribe(id, query.token);
  }
}
