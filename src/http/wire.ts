import type { ListProjectsOutput } from '../application/use-cases/list-projects.js';
import type { ListSpacesOutput } from '../application/use-cases/list-spaces.js';
import type { Project, Space } from '../domain/listing.js';
import type { ProjectsResponse, SpacesResponse } from './schemas.js';
import type { WireOf } from './respond.js';

/*
 * Domain objects → the JSON the API documents (snake_case names, the response schemas in schemas.ts). The
 * return types come from those schemas, so a field renamed on either side fails to compile here. Nothing is
 * parsed at run time: these sit on the listing path, which is benchmarked.
 */

type ProjectWire = WireOf<typeof ProjectsResponse>['projects'][number];
type SpaceWire = WireOf<typeof SpacesResponse>['spaces'][number];

/** `next_cursor` only while more remain: without paging parameters the answer is every item, as it always was. */
export function projectsBody(output: Pick<ListProjectsOutput, 'projects' | 'total'>, nextCursor?: string): WireOf<typeof ProjectsResponse> {
  return { projects: output.projects.map(projectWire), total: output.total, ...(nextCursor === undefined ? {} : { next_cursor: nextCursor }) };
}

export function spacesBody(output: Pick<ListSpacesOutput, 'spaces' | 'total'>, nextCursor?: string): WireOf<typeof SpacesResponse> {
  return { spaces: output.spaces.map(spaceWire), total: output.total, ...(nextCursor === undefined ? {} : { next_cursor: nextCursor }) };
}

function projectWire(project: Project): ProjectWire {
  // Absent fields stay absent (not `null`): JSON.stringify drops an undefined value.
  return {
    id: project.id,
    key: project.key,
    name: project.name,
    type: project.type,
    style: project.style,
    avatar_url: project.avatarUrl,
    url: project.url,
  };
}

function spaceWire(space: Space): SpaceWire {
  return { id: space.id, key: space.key, name: space.name, type: space.type, status: space.status, url: space.url };
}
