import { Application } from '../applications/application.entity.js';
import { JobCategory } from '../categories/job-category.entity.js';
import { Job } from '../jobs/job.entity.js';
import { City } from '../locations/city.entity.js';
import { State } from '../locations/state.entity.js';
import { Spa } from '../spas/spa.entity.js';
import { User } from '../users/user.entity.js';

// [accounts] import
// [lifecycle] import
// [alerts] import
import { SavedSearch } from '../saved-searches/saved-search.entity.js';
// [privacy] import

export const ENTITIES = [
  State,
  City,
  JobCategory,
  User,
  Spa,
  Job,
  Application,
  // [accounts] entities
  // [lifecycle] entities
  // [alerts] entities
  SavedSearch,
  // [privacy] entities
];
