import { Application } from '../applications/application.entity.js';
import { JobCategory } from '../categories/job-category.entity.js';
import { Job } from '../jobs/job.entity.js';
import { City } from '../locations/city.entity.js';
import { State } from '../locations/state.entity.js';
import { Spa } from '../spas/spa.entity.js';
import { User } from '../users/user.entity.js';
import { SavedSearch } from '../saved-searches/saved-search.entity.js';

export const ENTITIES = [State, City, JobCategory, User, Spa, Job, Application, SavedSearch];
