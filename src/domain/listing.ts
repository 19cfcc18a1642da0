/** What the service returns for a Jira project: the fields a frontend needs to show and link one. */
export interface Project {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly type?: string;
  readonly style?: string;
  readonly avatar_url?: string;
  readonly url?: string;
}

/** What the service returns for a Confluence space. */
export interface Space {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly type?: string;
  readonly status?: string;
  readonly url?: string;
}
