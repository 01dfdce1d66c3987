import type { ListJobsQueryDto } from '../jobs/dto/job-input.dto.js';
import type { JobsSearchService } from '../jobs/jobs-search.service.js';
import type { SavedFilters } from './saved-search.entity.js';

/**
 * The SQL (and its parameters) of the open jobs among `jobIds` that `filters` match: the very
 * query of `GET /jobs` (its filters, "open", the spa listed), narrowed to those ids, so that a
 * saved search matches exactly what the list would show. Run by the caller on its own
 * connection (the scan's transaction).
 */
export function matchingJobsQuery(
  search: JobsSearchService,
  filters: SavedFilters,
  jobIds: readonly number[],
): [string, unknown[]] {
  const query = { ...filters, limit: jobIds.length } as ListJobsQueryDto;
  return search
    .listQuery(query)
    .andWhere('j.id = ANY(:savedSearchJobIds)', { savedSearchJobIds: [...jobIds] })
    .getQueryAndParameters();
}
